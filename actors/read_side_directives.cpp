// A shard's directives: their receipts, the lists of directives and the directive query
// (read_side_shard.hpp).

#include "actors/read_side_shard.hpp"

#include <map>

namespace hub::actors::read_side {

/// A directive issued (`answers`: those recovered, else none yet).
void shard_state::issue(directive_ptr info,
                        const std::vector<std::pair<recipient, directive_action>>* answers) {
  auto& v = directives[info->id];
  v.receipts = answers != nullptr
                   ? progress_list(h(), *answers)
                   : progress_list(h(), all_recipients(h(), *info, info->issuer_unit));
  const bool fresh = v.info == nullptr;
  v.info = std::move(info);
  v.signed_count = v.done = 0;
  for (std::size_t i = 0; i < v.receipts.size(); ++i) {
    const auto a = v.receipts.state(i);
    v.signed_count += a != directive_action::issue ? 1 : 0;
    v.done += a == directive_action::complete ? 1 : 0;
  }
  note_issued(v);
  if (!fresh)
    return;
  issued_by[v.info->issuer_unit].push_back(v.info->id);
  std::size_t units = 0;
  for (std::size_t i = 0; i < v.receipts.size() && units <= broad_units; ++i)
    units += i == 0 || v.receipts.unit_at(i) != v.receipts.unit_at(i - 1) ? 1 : 0;
  if ((v.broad = units > broad_units))
    return broad.push_back(v.info->id);
  for (std::size_t i = 0; i < v.receipts.size(); ++i)
    if (i == 0 || v.receipts.unit_at(i) != v.receipts.unit_at(i - 1))
      inbox[h().units[v.receipts.unit_at(i)].code].push_back(v.info->id);
}

/// A recipient signed or completed.
void shard_state::receipt(directive_id id, const recipient& r, directive_action a) {
  auto found = directives.find(id);
  if (found == directives.end())
    return;
  auto& v = found->second;
  const auto at = v.receipts.find(h(), r);
  if (at == progress_list::npos)
    return;
  const auto answer = v.receipts.state(at);
  if (a != directive_action::complete && answer != directive_action::issue)
    return;
  v.signed_count += answer == directive_action::issue ? 1 : 0;
  v.done += a == directive_action::complete && answer != directive_action::complete ? 1 : 0;
  v.receipts.set(at, a);
}

/// This shard's part of a list of directives: the unit's own (issued) or those addressed to
/// it (inbox), its first `limit` after the cursor.
void shard_state::answer_directives_part(query_job& job, std::size_t slot) {
  auto& part = job.parts[slot];
  std::vector<std::pair<row_key, directive_row>> found;
  auto row_of = [](const directive_view& v) {
    const auto& d = *v.info;
    directive_row row;
    row.id = d.id;
    row.unit = d.issuer_unit;
    row.by = d.issuer;
    row.channel = d.what.channel;
    row.title = d.what.title;
    row.issued_at = d.issued_at;
    row.deadline = d.what.deadline;
    return row;
  };
  auto consider = [&](const directive_view& v, person_id person, auto&& finish_row) {
    ++part.matched;
    auto key = key_of(*v.info, person);
    if (job.after_row && !(*job.after_row < key))
      return;
    ++part.beyond;
    auto row = row_of(v);
    finish_row(row);
    found.emplace_back(key, std::move(row));
  };
  if (job.q.box == directive_box::issued) {
    if (auto mine = issued_by.find(job.q.unit); mine != issued_by.end())
      for (auto id : mine->second) {
        const auto& v = directives.at(id);
        consider(v, 0, [&](directive_row& row) {
          row.total = static_cast<std::uint32_t>(v.receipts.size());
          row.signed_count = v.signed_count;
          row.done = v.done;
        });
      }
  } else {
    const auto at = h().index_of(job.q.unit);
    auto rows_of = [&](directive_id id) {
      const auto& v = directives.at(id);
      // The unit's recipients, together in recipient order: the unit itself first.
      for (auto i = v.receipts.lower_bound(h(), recipient{job.q.unit, 0});
           i < v.receipts.size() && v.receipts.unit_at(i) == at; ++i) {
        const auto person = v.receipts.who(h(), i).person;
        consider(v, person, [&](directive_row& row) {
          row.person = person;
          row.action = v.receipts.state(i);
        });
      }
    };
    if (auto mine = inbox.find(job.q.unit); mine != inbox.end())
      for (auto id : mine->second)
        rows_of(id);
    for (auto id : broad) // no rows where the unit has no recipient
      rows_of(id);
  }
  const auto n = std::min<std::size_t>(found.size(), job.limit);
  std::partial_sort(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(n), found.end(),
                    [](const auto& a, const auto& b) { return a.first < b.first; });
  found.resize(n);
  part.rows = std::move(found);
}

void shard_state::answer_directive(query_job& job) {
  auto found = directives.find(job.q.directive_ref);
  if (found == directives.end())
    return reply(job.reply_to, error{job.id, errc::unknown_directive,
                                     "no directive " + std::to_string(job.q.directive_ref)});
  const auto& v = found->second;
  const auto& d = *v.info;
  const auto scope = job.q.unit != 0 ? job.q.unit : d.issuer_unit;
  const auto scope_at = h().index_of(scope);
  auto any_in_scope = [&] {
    for (std::size_t i = 0; i < v.receipts.size(); ++i)
      if (h().within_at(v.receipts.unit_at(i), scope_at))
        return true;
    return false;
  };
  // Outside the issuer's unit, one sees a directive only where it has recipients.
  const bool watches_issuer = job.who.holds == post::hotline_operator
                                  ? d.issuer_unit == job.who.unit
                                  : may_watch(h(), job.who, d.issuer_unit);
  if (!h().within(scope, d.issuer_unit) || (!watches_issuer && !any_in_scope()))
    return reply(job.reply_to, error{job.id, errc::forbidden,
                                     "you may not see directive " +
                                         std::to_string(job.q.directive_ref) + " there"});
  std::optional<recipient> after;
  if (!job.q.cursor.empty()) {
    order_key k;
    if (!parse_cursor(job.q.cursor, k))
      return reply(job.reply_to, error{job.id, errc::invalid_argument,
                                       "field 'cursor': not a cursor of this directive"});
    after = recipient{k.first, k.second};
  }
  result r;
  r.id = job.id;
  r.seq = job.seq;
  r.what = query_kind::directive;
  auto& out = r.directive;
  out.id = d.id;
  out.unit = d.issuer_unit;
  out.by = d.issuer;
  out.channel = d.what.channel;
  out.title = d.what.title;
  out.body = d.what.body;
  out.issued_at = d.issued_at;
  out.deadline = d.what.deadline;
  out.scope.unit = scope;
  std::map<unit_code, receipt_count> children;
  auto count = [](receipt_count& c, directive_action a) {
    c.total += 1;
    c.signed_count += a != directive_action::issue ? 1 : 0;
    c.done += a == directive_action::complete ? 1 : 0;
  };
  const auto limit = job.q.limit != 0 ? job.q.limit : limits::default_page;
  std::string cursor;
  for (std::size_t i = 0; i < v.receipts.size(); ++i) {
    auto at = v.receipts.unit_at(i);
    if (!h().within_at(at, scope_at))
      continue;
    const auto a = v.receipts.state(i);
    count(out.scope, a);
    auto child = at; // the child of the scope on the way up (or the scope itself)
    while (child != scope_at && sh->parent[child] != scope_at)
      child = sh->parent[child];
    auto& c = children[h().units[child].code];
    c.unit = h().units[child].code;
    count(c, a);
    const bool lags = job.q.lagging == directive_action::complete ? a != directive_action::complete
                                                                  : a == directive_action::issue;
    if (!lags)
      continue;
    ++r.total;
    const auto who = v.receipts.who(h(), i);
    if (after && !(*after < who))
      continue;
    if (out.laggards.size() < limit)
      out.laggards.push_back({who.unit, who.person, a});
    else if (cursor.empty())
      cursor = "more";
  }
  for (auto& [code, c] : children)
    out.children.push_back(c);
  auto next = [&] {
    const auto& last = out.laggards.back();
    return std::to_string(last.unit) + "." + std::to_string(last.person);
  };
  if (!cursor.empty())
    r.cursor = next();
  fit(r, out.laggards, next);
  reply(job.reply_to, std::move(r));
}

/// Answers `directive` for one no shard keeps from the archive, on the archive's thread: the
/// stored directive taken up by a scratch shard, which answers as the shard would have.
void answer_directive_from_archive(const std::shared_ptr<const read_model::shared>& sh,
                                   std::shared_ptr<query_job> job) {
  const auto id = job->q.directive_ref;
  const auto issuer = sh->h->units[maker_of(id)].code;
  sh->archive->fetch_directive(id, issuer, [sh, job = std::move(job)](directive_answer a) {
    if (a.is == archive_answer::status::unavailable)
      return reply(job->reply_to, error{job->id, errc::try_again,
                                        "the archive did not answer: ask again shortly"});
    if (a.is == archive_answer::status::absent)
      return reply(job->reply_to, error{job->id, errc::unknown_directive,
                                        "no directive " + std::to_string(job->q.directive_ref)});
    shard_state scratch;
    scratch.sh = sh;
    scratch.book = period_book(&sh->parent);
    scratch.issue(a.info);
    for (const auto& [who, action] : a.answers)
      scratch.receipt(a.info->id, who, action);
    scratch.answer_directive(*job);
  });
}

} // namespace hub::actors::read_side
