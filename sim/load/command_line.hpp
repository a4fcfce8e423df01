#pragma once

// The command line of the load tools (hub-sim, hub-load): named options, each a text, an
// unsigned number or a flag, read into the caller's variables. One parser, so that every tool
// refuses a bad command line alike and says why.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace hub::sim {

struct option_table {
  std::map<std::string_view, std::string*> texts;     // --name VALUE
  std::map<std::string_view, std::uint64_t*> numbers; // --name N (decimal, unsigned)
  std::map<std::string_view, bool*> flags;            // --name (sets true)
};

/// Reads argv[1..] into the table's variables; leaves those not named as they are. Throws
/// std::invalid_argument naming the option for an unknown option, a missing value or a number
/// that is not one.
void parse_options(int argc, char** argv, const option_table& table);

/// Throws std::invalid_argument unless --url, --secret-file and --hierarchy were given: the
/// three every tool needs to reach a hub as its people.
void require_hub_options(const std::string& url, const std::string& secret_file,
                         const std::string& hierarchy_file);

} // namespace hub::sim
