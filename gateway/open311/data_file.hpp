#pragma once

// The line-based files Open311 reads at start-up (the data file, the keys file): one reader,
// so both name the path and the line of a fault the same way.

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hub::open311 {

/// A fault in the data file or the keys file, with its line (and, once loaded, its path).
struct data_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// The whole file. Throws data_error "cannot read PATH".
std::string read_data_file(const std::string& path);

/// parse(text) over the file at `path`; a data_error it throws gets the path in front.
template <class Parse>
auto load_data_file(const std::string& path, Parse&& parse) {
  auto text = read_data_file(path);
  try {
    return parse(std::string_view(text));
  } catch (const data_error& e) {
    throw data_error(path + ", " + e.what());
  }
}

/// on_line(number, line) for every line that is neither blank nor a `#` comment, numbered from
/// 1, without its '\n' or a trailing '\r'.
template <class OnLine>
void for_each_data_line(std::string_view content, OnLine&& on_line) {
  std::size_t number = 0;
  while (!content.empty()) {
    auto nl = content.find('\n');
    auto line = content.substr(0, nl);
    content = nl == std::string_view::npos ? std::string_view{} : content.substr(nl + 1);
    ++number;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    if (line.empty() || line.front() == '#')
      continue;
    on_line(number, line);
  }
}

} // namespace hub::open311
