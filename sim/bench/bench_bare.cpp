#include "sim/bench/bench_bare.hpp"

#include <stdexcept>
#include <unordered_map>

namespace hub::bench {

using protocol::unit_kind;

namespace {

struct bare_state {
  std::shared_ptr<const std::vector<caf::actor>> dir;
  std::vector<std::uint32_t> children; // indices into dir
  bare_listener* listener = nullptr;
  std::uint32_t grid = UINT32_MAX; // grid position, for grids
  std::uint64_t seen = 0;          // the latest round that reached this actor
  // the root only:
  std::uint64_t round = 0;
  std::uint32_t expected = 0;
  std::uint32_t count = 0;
  static inline const char* name = "bare";
};

caf::behavior bare_unit(caf::stateful_actor<bare_state>* self,
                        std::shared_ptr<const std::vector<caf::actor>> dir,
                        std::vector<std::uint32_t> children, bare_listener* listener,
                        std::uint32_t grid, std::uint32_t expected) {
  auto& st = self->state;
  st.dir = std::move(dir);
  st.children = std::move(children);
  st.listener = listener;
  st.grid = grid;
  st.expected = expected;
  return {
      [self](bfanout_atom, std::uint64_t round, bool auto_receipt) {
        auto& st = self->state;
        st.seen = round;
        if (st.expected != 0) { // the root
          st.round = round;
          st.count = 0;
        }
        for (auto c : st.children)
          self->send((*st.dir)[c], bfanout_atom::value, round, auto_receipt);
        if (st.grid == UINT32_MAX)
          return;
        if (auto_receipt)
          self->send((*st.dir)[0], breceipt_atom::value, round, st.grid);
        else
          st.listener->registered(st.grid);
      },
      [self](bsign_atom, std::uint64_t round, std::uint32_t grid) {
        auto& st = self->state;
        if (st.seen != round)
          return st.listener->sign_refused(grid);
        self->send((*st.dir)[0], breceipt_atom::value, round, grid);
        st.listener->sign_accepted(grid);
      },
      [self](breceipt_atom, std::uint64_t round, std::uint32_t) {
        auto& st = self->state;
        if (round == st.round && ++st.count == st.expected)
          st.listener->tally_done(round);
      },
  };
}

bool in_tree(unit_kind k) {
  return k == unit_kind::city || k == unit_kind::county || k == unit_kind::township ||
         k == unit_kind::village || k == unit_kind::grid;
}

} // namespace

bare_tree::bare_tree(caf::actor_system& sys, const protocol::hierarchy& h, bare_listener* listener)
  : dir_(std::make_shared<std::vector<caf::actor>>()) {
  // dir_ order: the city first, then the other tree units in hierarchy order.
  std::unordered_map<protocol::unit_code, std::uint32_t> slot;
  std::vector<std::uint32_t> units; // dir index → hierarchy index
  for (std::uint32_t i = 0; i < h.units.size(); ++i)
    if (h.units[i].kind == unit_kind::city) {
      slot.emplace(h.units[i].code, 0);
      units.push_back(i);
    }
  if (units.size() != 1)
    throw std::runtime_error("the hierarchy needs exactly one city");
  for (std::uint32_t i = 0; i < h.units.size(); ++i)
    if (in_tree(h.units[i].kind) && h.units[i].kind != unit_kind::city) {
      slot.emplace(h.units[i].code, static_cast<std::uint32_t>(units.size()));
      units.push_back(i);
    }
  std::uint32_t grids = 0;
  for (auto i : units)
    grids += h.units[i].kind == unit_kind::grid ? 1 : 0;
  dir_->reserve(units.size());
  std::shared_ptr<const std::vector<caf::actor>> dir = dir_;
  for (std::uint32_t d = 0; d < units.size(); ++d) {
    const auto& u = h.units[units[d]];
    std::vector<std::uint32_t> children;
    for (auto c : h.children(u.code))
      if (auto s = slot.find(h.units[c].code); s != slot.end())
        children.push_back(s->second);
    std::uint32_t grid = UINT32_MAX;
    if (u.kind == unit_kind::grid) {
      grid = static_cast<std::uint32_t>(grid_actor_.size());
      grid_actor_.push_back(d);
    }
    dir_->push_back(
        sys.spawn(bare_unit, dir, std::move(children), listener, grid, d == 0 ? grids : 0u));
  }
}

bare_tree::~bare_tree() {
  for (auto& a : *dir_)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

void bare_tree::fanout(std::uint64_t round, bool auto_receipt) {
  caf::anon_send((*dir_)[0], bfanout_atom::value, round, auto_receipt);
}

void bare_tree::sign(std::uint32_t grid, std::uint64_t round) {
  caf::anon_send((*dir_)[grid_actor_[grid]], bsign_atom::value, round, grid);
}

bare_pingers::bare_pingers(caf::actor_system& sys, std::size_t n, bare_listener* listener) {
  actors_.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    actors_.push_back(sys.spawn([listener](caf::event_based_actor*) -> caf::behavior {
      return {[listener](bstep_atom, std::uint64_t request) { listener->pong(request); }};
    }));
}

bare_pingers::~bare_pingers() {
  for (auto& a : actors_)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

} // namespace hub::bench
