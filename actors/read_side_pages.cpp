// Pages of lists: the keys and cursors of cases and directives, and the merge of the shards' parts
// (read_side_shard.hpp).

#include "actors/read_side_shard.hpp"

#include <charconv>
#include <iterator>

namespace hub::actors::read_side {

order_key key_of(const case_view& v, case_order order) {
  if (order == case_order::changed)
    return {UINT64_MAX - static_cast<std::uint64_t>(v.s.changed_at), v.s.id};
  return {v.s.deadline == 0 ? UINT64_MAX : static_cast<std::uint64_t>(v.s.deadline), v.s.id};
}

std::string cursor_of(order_key k) {
  return std::to_string(k.first) + "." + std::to_string(k.second);
}

bool parse_uint(std::string_view text, std::uint64_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

/// A list cursor back into its key; false when it is not one this hub made.
bool parse_cursor(std::string_view text, order_key& out) {
  auto dot = text.find('.');
  return dot != text.npos && parse_uint(text.substr(0, dot), out.first) &&
         parse_uint(text.substr(dot + 1), out.second);
}

/// Position in a list of directives: the newest first (issued_at from the end), then the
/// directive id, then the named recipient (an inbox may hold several people of one unit).
using row_key = std::tuple<std::uint64_t, directive_id, person_id>;

row_key key_of(const directive_info& d, person_id person) {
  return {UINT64_MAX - static_cast<std::uint64_t>(d.issued_at), d.id, person};
}

std::string cursor_of(const row_key& k) {
  return std::to_string(std::get<0>(k)) + "." + std::to_string(std::get<1>(k)) + "." +
         std::to_string(std::get<2>(k));
}

/// A directive list's cursor back into its key; false when it is not one this hub made.
bool parse_cursor(std::string_view text, row_key& out) {
  auto dot = text.find('.');
  if (dot == text.npos || !parse_uint(text.substr(0, dot), std::get<0>(out)))
    return false;
  order_key rest;
  if (!parse_cursor(text.substr(dot + 1), rest))
    return false;
  std::get<1>(out) = rest.first;
  std::get<2>(out) = rest.second;
  return true;
}

/// The last shard to finish a list query merges the parts (`items` of each) and answers with
/// the first `limit` in key order (into the result's `rows`), a cursor when more follow.
template <class Key, class Row>
void merge_pages(query_job& job, query_kind what,
                 std::vector<std::pair<Key, Row>> query_job::part::*items,
                 std::vector<Row> result::*rows) {
  std::vector<std::pair<Key, Row>> all;
  std::uint64_t matched = 0, beyond = 0;
  for (auto& p : job.parts) {
    matched += p.matched;
    beyond += p.beyond;
    std::move((p.*items).begin(), (p.*items).end(), std::back_inserter(all));
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  if (all.size() > job.limit)
    all.resize(job.limit);
  result r;
  r.id = job.id;
  r.seq = job.seq;
  r.what = what;
  r.total = static_cast<std::uint32_t>(std::min<std::uint64_t>(matched, UINT32_MAX));
  auto& out = r.*rows;
  std::vector<Key> keys;
  for (auto& [key, row] : all) {
    keys.push_back(key);
    out.push_back(std::move(row));
  }
  auto next = [&] { return cursor_of(keys[out.size() - 1]); };
  if (beyond > all.size() && !all.empty())
    r.cursor = next();
  fit(r, out, next);
  reply(job.reply_to, std::move(r));
}

void finish(query_job& job) {
  merge_pages(job, query_kind::cases, &query_job::part::items, &result::cases);
}

void finish_directives(query_job& job) {
  merge_pages(job, query_kind::directives, &query_job::part::rows, &result::directives);
}

} // namespace hub::actors::read_side
