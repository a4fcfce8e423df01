#include "gateway/open311/keys.hpp"

#include "gateway/open311/catalogue.hpp"
#include "gateway/open311/data_file.hpp"

#include <charconv>

namespace hub::open311 {

namespace {

bool key_chars(std::string_view k) {
  if (k.size() < 16 || k.size() > 128)
    return false;
  for (char c : k)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
          c == '-'))
      return false;
  return true;
}

} // namespace

key_table key_table::load(const protocol::hierarchy& h, const std::string& path) {
  return load_data_file(path, [&](std::string_view text) { return parse(h, text); });
}

key_table key_table::parse(const protocol::hierarchy& h, std::string_view content) {
  key_table t;
  for_each_data_line(content, [&](std::size_t number, std::string_view line) {
    auto where = "line " + std::to_string(number) + ": ";
    auto tab = line.find('\t');
    if (tab == std::string_view::npos || line.find('\t', tab + 1) != std::string_view::npos)
      throw data_error(where + "expected KEY<TAB>PERSON_ID");
    auto key = line.substr(0, tab), id = line.substr(tab + 1);
    if (!key_chars(key))
      throw data_error(where + "a key is 16..128 of A-Z a-z 0-9 _ -");
    protocol::person_id pid = 0;
    auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), pid);
    if (ec != std::errc{} || p != id.data() + id.size())
      throw data_error(where + "not a person id: \"" + std::string(id) + "\"");
    auto* person = h.find_person(pid);
    if (person == nullptr)
      throw data_error(where + "no person " + std::string(id) + " in the hierarchy");
    if (person->holds != protocol::post::hotline_operator)
      throw data_error(where + "person " + std::string(id) + " is a " +
                       std::string(protocol::to_string(person->holds)) +
                       ", not a hotline_operator");
    if (!t.keys_.emplace(std::string(key), actors::principal::of(*person)).second)
      throw data_error(where + "key given twice");
  });
  return t;
}

std::optional<actors::principal> key_table::find(std::string_view key) const {
  auto it = keys_.find(std::string(key));
  if (it == keys_.end())
    return std::nullopt;
  return it->second;
}

} // namespace hub::open311
