#pragma once

// Directives (指令) as the unit actors share them: the immutable directive itself, and the pure
// rules that say who receives it, so that every level of the fan-out decides alike.

#include "actors/case_rules.hpp"
#include "actors/principal.hpp"
#include "protocol/hierarchy.hpp"
#include "protocol/messages.hpp"

#include <boost/smart_ptr/intrusive_ptr.hpp>
#include <boost/smart_ptr/intrusive_ref_counter.hpp>

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace hub::actors {

/// Shared by every unit its fan-out reaches (each grid of a city-wide directive keeps one in
/// its received list), so it counts its owners itself: a pointer to it is 8 bytes, not
/// shared_ptr's 16 (18,100 grids: 145 KB a city-wide directive). Made with make_directive.
struct directive_info : boost::intrusive_ref_counter<directive_info, boost::thread_safe_counter> {
  protocol::directive_id id = 0;
  protocol::unit_code issuer_unit = 0;
  protocol::person_id issuer = 0;
  protocol::timestamp_ms issued_at = 0;
  protocol::directive_issue what;
};

using directive_ptr = boost::intrusive_ptr<const directive_info>;

/// A new directive, to be filled in before it is shared.
inline boost::intrusive_ptr<directive_info> make_directive() {
  return boost::intrusive_ptr<directive_info>(new directive_info());
}

/// The directive as the bus's facts beside an event (bus.hpp), owning a count of it.
inline std::shared_ptr<const void> as_facts(directive_ptr d) {
  const void* at = d.get();
  return std::shared_ptr<const void>(at, [keep = std::move(d)](const void*) {});
}

/// One recipient: a unit (person 0: anyone posted there may sign) or a named person.
struct recipient {
  protocol::unit_code unit = 0;
  protocol::person_id person = 0;
  friend bool operator==(const recipient&, const recipient&) = default;
  friend auto operator<=>(const recipient&, const recipient&) = default;
};

/// The unit whose subtree `who` may direct, or nullopt when their post issues no directives
/// (city and county leaders and centres; township heads for their township).
std::optional<protocol::unit_code> issuing_unit(const protocol::hierarchy& h, const principal& who);

/// Checks a directive before it is issued from `issuer_unit`: channel, scope inside the
/// issuer's subtree, people known and inside it. Returns the reason it is refused, if it is.
std::optional<refusal> check_target(const protocol::hierarchy& h, protocol::unit_code issuer_unit,
                                    const protocol::directive_issue& d);

/// The recipients posted at unit `u` itself (not below it).
std::vector<recipient> recipients_at(const protocol::hierarchy& h, const directive_info& d,
                                     const protocol::unit& u);

/// True when the subtree of `child` may hold recipients, so the fan-out goes down to it.
bool reaches(const protocol::hierarchy& h, const directive_info& d, const protocol::unit& child);

/// Every recipient of `d` under `from`, in fan-out order (what the issuer tallies).
std::vector<recipient> all_recipients(const protocol::hierarchy& h, const directive_info& d,
                                      protocol::unit_code from);

/// True when `who` may sign for or complete on behalf of recipient `r`.
bool answers_for(const protocol::hierarchy& h, const principal& who, const recipient& r);

} // namespace hub::actors
