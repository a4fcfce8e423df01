#pragma once

// A directive's arrival read straight off a MessagePack frame, without building the message:
// hub-load's 18,100 clients count a burst's 3.6 million arrivals this way, so that the client
// harness takes less of the cores it shares with the server it measures. Anything else, or a
// frame it cannot read, is left to the protocol's decoder.

#include <cstdint>
#include <optional>
#include <string_view>

namespace hub::sim::load {

/// The fields of a `directive.event` that tell an arrival (protocol/README.md): views into
/// the frame, valid while it is.
struct directive_arrival {
  std::uint64_t directive = 0;
  std::string_view action; // "issue" for an arrival
  std::uint64_t recipient = 0;
  std::string_view title;
};

/// `payload` as a `directive.event` when it is one MessagePack map whose "t" is
/// "directive.event", whose values are all unsigned integers, strings, nil or booleans (as a
/// directive.event's are), and nothing follows it; nullopt otherwise.
std::optional<directive_arrival> peek_directive_arrival(std::string_view payload);

} // namespace hub::sim::load
