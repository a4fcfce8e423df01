#include "sim/load/command_line.hpp"

#include <charconv>
#include <stdexcept>

namespace hub::sim {

void parse_options(int argc, char** argv, const option_table& table) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view name = argv[i];
    if (auto f = table.flags.find(name); f != table.flags.end()) {
      *f->second = true;
      continue;
    }
    const auto text = table.texts.find(name);
    const auto number = table.numbers.find(name);
    if (text == table.texts.end() && number == table.numbers.end())
      throw std::invalid_argument("unknown argument " + std::string(name));
    if (i + 1 >= argc)
      throw std::invalid_argument(std::string(name) + " needs a value");
    const std::string_view value = argv[++i];
    if (text != table.texts.end()) {
      *text->second = value;
      continue;
    }
    std::uint64_t n = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc{} || end != value.data() + value.size())
      throw std::invalid_argument(std::string(name) + " needs an unsigned number");
    *number->second = n;
  }
}

void require_hub_options(const std::string& url, const std::string& secret_file,
                         const std::string& hierarchy_file) {
  if (url.empty() || secret_file.empty() || hierarchy_file.empty())
    throw std::invalid_argument("--url, --secret-file and --hierarchy are required");
}

} // namespace hub::sim
