// hub-bench "queries": the read side's answers on a city holding M (1,000,000) cases.
//
// The city is filled with M open cases reported over every grid (as "memory" does), one case
// walked through a 30-step history (a report, a sign and 28 reminders by the city leader), and
// one directive to all 18,100 grids that every other grid has signed. Then each query is asked
// `--samples` times one after another (the next when the answer is in) and its latency, from
// city::submit to the result at the client's sink, summarised as p50 and p99 beside the
// issue's target:
//   a township's open cases, the first page of 200;
//   the case with the 30-step history;
//   the directive's receipts per county (scope the city) and per township (scope a county),
//     each with the first page of laggards;
//   the city's figures with its 10 counties (this month), a county's township ranking.
// Last, the transitions benchmark on fresh cities with the read side off, on, and on with
// ~1,000 queries a second beside it (query_load: from consoles asking in batches, and one at a
// time): the CPU per transition's ratios and the write throughput's drop.

#include "sim/bench/bench_common.hpp"
#include "sim/bench/bench_reporter.hpp"
#include "sim/bench/bench_wait.hpp"

#include "actors/ids.hpp"

#include <atomic>
#include <cmath>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

namespace hub::bench {

using protocol::query;
using protocol::query_kind;

namespace {

/// A client that asks one thing at a time and waits for its answer.
class asker : public actors::client_sink, public std::enable_shared_from_this<asker> {
public:
  explicit asker(actors::city& c)
    : city_(c) {}

  /// Sends `body` as `who` and waits for the answer (at most 60 s); returns it with the time
  /// it took in ms.
  std::pair<protocol::server_message, double> ask(const actors::principal& who,
                                                  protocol::client_body body) {
    const auto id = ++next_id_;
    const auto t0 = now_ns();
    city_.submit(who, {id, std::move(body)}, shared_from_this());
    signal.wait([&] { return answered_.load() >= id; }, "an answer", std::chrono::seconds(60));
    std::lock_guard<std::mutex> guard{mutex_};
    return {last_, ms_between(t0, t_answer_)};
  }

  void send(actors::outbound_ptr out) override {
    const auto& msg = out->message();
    std::uint64_t id = 0;
    if (auto* r = std::get_if<protocol::result>(&msg))
      id = r->id;
    else if (auto* a = std::get_if<protocol::ack>(&msg))
      id = a->id;
    else if (auto* e = std::get_if<protocol::error>(&msg))
      id = e->id;
    if (id == 0)
      return; // an event: not ours to time
    {
      std::lock_guard<std::mutex> guard{mutex_};
      t_answer_ = now_ns();
      last_ = msg;
    }
    answered_.store(id);
    signal.notify();
  }

  waiter signal;

private:
  actors::city& city_;
  std::uint64_t next_id_ = 1ull << 40; // above the reporter's ids (one per case)
  std::atomic<std::uint64_t> answered_{0};
  std::mutex mutex_;
  std::int64_t t_answer_ = 0;
  protocol::server_message last_;
};

[[noreturn]] void fail(const std::string& what, const protocol::server_message& got) {
  std::string why = "not what was expected";
  if (auto* e = std::get_if<protocol::error>(&got))
    why = std::string(protocol::to_string(e->code)) + ": " + e->message;
  std::fprintf(stderr, "hub-bench: %s: %s\n", what.c_str(), why.c_str());
  std::exit(1);
}

/// The answer to `body`, which must be of type T.
template <class T>
T expect(asker& a, const actors::principal& who, protocol::client_body body,
         const std::string& what) {
  auto [msg, ms] = a.ask(who, std::move(body));
  auto* x = std::get_if<T>(&msg);
  if (x == nullptr)
    fail(what, msg);
  return *x;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  auto k = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size())));
  return v[std::min(v.size(), std::max<std::size_t>(k, 1)) - 1];
}

/// The principal of the first person at `unit` holding `holds`; throws when there is none.
actors::principal someone(const protocol::hierarchy& h, protocol::unit_code unit,
                          protocol::post holds) {
  for (const auto& p : h.people)
    if (p.unit == unit && p.holds == holds)
      return actors::principal::of(p);
  throw std::runtime_error("nobody holds " + std::string(protocol::to_string(holds)) + " at " +
                           std::to_string(unit));
}

} // namespace

// -- query_load ---------------------------------------------------------------------------------

struct query_load::impl : actors::client_sink {
  actors::city& city;
  std::vector<protocol::query> mix;
  std::vector<protocol::unit_code> townships; // the county's, for the township pages in turn
  const cast& people;
  actors::principal who;
  double per_second;
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> answered{0};
  std::atomic<std::uint64_t> late{0};
  std::atomic<protocol::directive_id> directive{0}; // the one issued for the mix's counts
  /// consoles: the answers each console still awaits from its last batch. A console's request
  /// ids are (console + 1) << 32 | (k + 1), k the query's number in the whole load.
  std::vector<std::atomic<int>> awaited;
  std::int64_t t0 = 0;
  std::thread thread;

  static constexpr std::uint64_t issue_request = 1ull << 50;
  static constexpr int console_shift = 32;

  impl(actors::city& c, const cast& p, double rate, int consoles)
    : city(c)
    , people(p)
    , per_second(rate)
    , awaited(static_cast<std::size_t>(consoles)) {}

  void send(actors::outbound_ptr out) override {
    const auto& msg = out->message();
    std::uint64_t id = 0;
    if (auto* a = std::get_if<protocol::ack>(&msg); a != nullptr && a->id == issue_request) {
      directive.store(a->directive_ref);
      return;
    }
    if (auto* r = std::get_if<protocol::result>(&msg))
      id = r->id;
    else if (auto* e = std::get_if<protocol::error>(&msg))
      id = e->id;
    else
      return; // an event: none are subscribed to
    answered.fetch_add(1, std::memory_order_relaxed);
    const auto console = id >> console_shift;
    if (console > 0 && console <= awaited.size())
      awaited[console - 1].fetch_sub(1, std::memory_order_release);
  }

  /// The load's k-th query: the mix in turn, its township, case or directive varied per turn;
  /// nullopt while the directive whose counts are asked is not issued yet.
  std::optional<protocol::query> make(std::uint64_t k) const {
    auto q = mix[k % mix.size()];
    const auto turn = k / mix.size();
    if (q.what == query_kind::cases && q.unit == 0)
      q.unit = townships[(turn * 3 + k % mix.size()) % townships.size()];
    if (q.what == query_kind::one_case) // a grid's first case (the rounds report 2 a grid)
      q.case_ref = actors::make_id(people.grids[(turn * 7919 + k) % people.grids.size()], 1);
    if (q.what == query_kind::directive) {
      q.directive_ref = directive.load();
      if (q.directive_ref == 0)
        return std::nullopt;
    }
    return q;
  }

  /// One query at a time, evenly spaced: a thousand wake-ups a second at 1,000 /s.
  void trickle(const std::shared_ptr<impl>& sink) {
    const auto period = std::chrono::duration<double>(1.0 / per_second);
    auto next = std::chrono::steady_clock::now();
    for (std::uint64_t k = 0; !stopping.load(); ++k) {
      next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(period);
      std::this_thread::sleep_until(next);
      if (auto q = make(k))
        city.submit(who, {k + 1, std::move(*q)}, sink);
    }
  }

  /// Consoles that open or refresh: each sends the whole mix at once, every
  /// consoles * mix.size() / per_second s, and awaits its answers: a refresh that comes while
  /// the last batch is still unanswered is put off (counted in `late`) and sent at the first
  /// wake-up after the answers are in, as a console asks again only once it has drawn its
  /// page; so the rate holds while the answers keep up on average. The refreshes are
  /// staggered evenly, so the thread wakes per_second / mix.size() times a second (100 at
  /// 1,000 /s), each time submitting the due console's batch (and any put off that may go
  /// now) back to back, as a gateway's thread does with the messages of one read.
  void consoles(const std::shared_ptr<impl>& sink) {
    const auto slot = std::chrono::duration<double>(static_cast<double>(mix.size()) / per_second);
    auto next = std::chrono::steady_clock::now();
    std::uint64_t k = 0;
    std::vector<bool> owed(awaited.size(), false); // a refresh put off
    for (std::uint64_t s = 0; !stopping.load(); ++s) {
      next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(slot);
      std::this_thread::sleep_until(next);
      const auto due = s % awaited.size();
      owed[due] = true; // (still owed from its last turn: the two refreshes are one)
      for (std::size_t console = 0; console < awaited.size(); ++console) {
        if (!owed[console])
          continue;
        if (awaited[console].load(std::memory_order_acquire) > 0) {
          if (console == due)
            late.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        owed[console] = false;
        std::vector<std::pair<std::uint64_t, protocol::query>> batch;
        for (std::size_t j = 0; j < mix.size(); ++j, ++k)
          if (auto q = make(k))
            batch.emplace_back(((console + 1) << console_shift) | (k + 1), std::move(*q));
        awaited[console].store(static_cast<int>(batch.size()), std::memory_order_relaxed);
        for (auto& [id, q] : batch)
          city.submit(who, {id, std::move(q)}, sink);
      }
    }
  }
};

query_load::query_load(actors::city& c, const protocol::hierarchy& h, const cast& people,
                       double per_second, const std::string& shape, int consoles)
  : impl_(std::make_shared<impl>(c, people, per_second, std::max(consoles, 1))) {
  // What consoles ask, in one turn of ten: township heads their first pages of open cases
  // (three, of the county's townships in turn), a county centre its county's latest changes,
  // two case histories, a directive's counts per township with its first laggards, the
  // city's and a county's figures this month, a county's township ranking.
  const auto& grid = h.units[people.grids.front()];
  const auto* county = h.ancestor_of_kind(grid.code, protocol::unit_kind::county);
  for (auto i : h.children_at(h.index_of(county->code)))
    if (h.units[i].kind == protocol::unit_kind::township)
      impl_->townships.push_back(h.units[i].code);
  query open_cases;
  open_cases.what = query_kind::cases;
  open_cases.limit = 200;
  query latest;
  latest.what = query_kind::cases;
  latest.unit = county->code;
  latest.order = protocol::case_order::changed;
  query one;
  one.what = query_kind::one_case;
  query counts;
  counts.what = query_kind::directive;
  counts.unit = county->code;
  query figures;
  figures.what = query_kind::figures;
  figures.period = protocol::figure_period::month;
  query ranking;
  ranking.what = query_kind::ranking;
  ranking.unit = county->code;
  ranking.period = protocol::figure_period::month;
  auto& mix = impl_->mix;
  mix = {open_cases, latest, one, open_cases, counts, figures, open_cases, one, figures, ranking};
  mix[5].unit = h.units.front().code; // the city's figures with its counties
  mix[8].unit = county->code;         // a county's with its townships
  impl_->who = people.city_leader;
  // The directive whose counts are asked: to every grid of the county.
  protocol::directive_issue d;
  d.channel = 1;
  d.title = "网格排查";
  d.target.kind = protocol::target_kind::level;
  d.target.units = {county->code};
  d.target.level = protocol::unit_kind::grid;
  c.submit(people.city_leader, {impl::issue_request, std::move(d)}, impl_);
  impl_->t0 = now_ns();
  const bool trickle = shape == "trickle";
  impl_->thread = std::thread([self = impl_.get(), sink = impl_, trickle] {
    if (trickle)
      self->trickle(sink);
    else
      self->consoles(sink);
  });
}

double query_load::stop() {
  if (!impl_->thread.joinable())
    return 0;
  impl_->stopping = true;
  impl_->thread.join();
  const double secs = ms_between(impl_->t0, now_ns()) / 1000;
  return static_cast<double>(impl_->answered.load()) / secs;
}

std::uint64_t query_load::late() const { return impl_->late.load(); }

query_load::~query_load() { stop(); }

// -- run_read_cost ------------------------------------------------------------------------------

std::vector<row> run_read_cost(const options& o, std::shared_ptr<const protocol::hierarchy> h,
                               const cast& people) {
  struct mode {
    std::string what;
    bool read_side;
    double queries;
    std::string shape;
    std::vector<options::transitions_figures> runs;
  };
  std::vector<mode> modes = {{"read side off (baseline)", false, 0, "", {}},
                             {"read side on", true, 0, "", {}}};
  const auto from_consoles = "on, 1,000 queries/s from " + std::to_string(o.consoles) + " consoles";
  if (o.query_shape != "trickle")
    modes.push_back({from_consoles, true, 1000, "consoles", {}});
  if (o.query_shape != "consoles")
    modes.push_back({"on, 1,000 queries/s trickled", true, 1000, "trickle", {}});
  for (int r = 0; r < o.repeat; ++r)
    for (auto& m : modes) {
      options run = o;
      run.bare_baseline = false;
      run.read_side = m.read_side;
      run.beside_queries = m.queries;
      run.query_shape = m.shape;
      options::transitions_figures f;
      run.transitions_out = &f;
      progress("readside: %s (repeat %d of %d)", m.what.c_str(), r + 1, o.repeat);
      run_transitions(run, h, people);
      m.runs.push_back(f);
    }
  std::vector<row> rows;
  const std::string sec = "case transitions (" + std::to_string(o.cases) +
                          " in flight), the read side's cost; medians of " +
                          std::to_string(o.rounds) + " rounds, range over " +
                          std::to_string(o.repeat) + " repeats";
  auto range = [](const std::vector<options::transitions_figures>& v, auto field,
                  const char* format) {
    std::vector<double> x;
    for (const auto& f : v)
      x.push_back(std::invoke(field, f));
    auto s = summarise(x);
    return fmt(format, s.min) + (v.size() > 1 ? " - " + fmt(format, s.max) : "");
  };
  for (const auto& m : modes) {
    using tf = options::transitions_figures;
    std::string note = "CPU each " + range(m.runs, &tf::cpu_us, "%.2f us") + " (user " +
                       range(m.runs, &tf::user_us, "%.2f") + ", system " +
                       range(m.runs, &tf::sys_us, "%.2f") + ")";
    if (m.queries > 0)
      note += "; " + range(m.runs, &tf::queries_rate, "%.0f") + " queries answered a second";
    if (m.shape == "consoles")
      note += ", " + range(m.runs, &tf::queries_late, "%.0f") +
              " refreshes put off (last batch unanswered)";
    // What the rounds were sensitive to, ranges over the repeats of each one's median round:
    // slow rounds that cost more CPU each show as a wide slowest-fastest spread.
    note += "; rounds' CPU fastest " + range(m.runs, &tf::cpu_min_us, "%.2f") + ", slowest " +
            range(m.runs, &tf::cpu_max_us, "%.2f") + " us; page faults " +
            range(m.runs, &tf::faults_per_k, "%.1f") + " per 1,000; involuntary switches " +
            range(m.runs, &tf::involuntary_per_s, "%.0f") + " /s; other processes " +
            range(
                m.runs, [](const tf& f) { return f.others_share * 100; }, "%.0f") +
            " %, steal " +
            range(
                m.runs, [](const tf& f) { return f.steal_share * 100; }, "%.1f") +
            " % of the machine";
    rows.push_back({sec, m.what, range(m.runs, &tf::rate, "%.0f /s"), "", note});
  }
  // Per repeat, against the baseline and the read side alone of the same repeat.
  auto spread = [&](const std::vector<double>& v, const char* format) {
    auto s = summarise(v);
    return fmt(format, s.median) +
           (v.size() > 1 ? " (" + fmt(format, s.min) + " to " + fmt(format, s.max) + ")" : "");
  };
  auto per_repeat = [&](std::size_t mode, auto figure) {
    std::vector<double> v;
    for (std::size_t r = 0; r < static_cast<std::size_t>(o.repeat); ++r)
      v.push_back(figure(modes[0].runs[r], modes[1].runs[r], modes[mode].runs[r]));
    return v;
  };
  using tf = options::transitions_figures;
  rows.push_back({sec, "CPU per transition, on / off",
                  spread(per_repeat(1, [](const tf& off, const tf& on,
                                          const tf&) { return on.cpu_us / off.cpu_us; }),
                         "%.3f"),
                  "", "the read side alone"});
  rows.push_back({sec, "the read side's CPU per transition",
                  spread(per_repeat(1, [](const tf& off, const tf& on,
                                          const tf&) { return on.cpu_us - off.cpu_us; }),
                         "%.2f us"),
                  "", "on minus off"});
  for (std::size_t m = 2; m < modes.size(); ++m) {
    const std::string by = " (" + modes[m].shape + ")";
    // The headline: CPU-time ratios, which other load on the machine moves least.
    rows.push_back({sec, "CPU per transition, queries beside / off" + by,
                    spread(per_repeat(m, [](const tf& off, const tf&,
                                            const tf& q) { return q.cpu_us / off.cpu_us; }),
                           "%.3f"),
                    "", "the headline (CPU-time ratio); the queries' own CPU included"});
    rows.push_back({sec, "write throughput drop, queries beside vs off" + by,
                    spread(per_repeat(m, [](const tf& off, const tf&,
                                            const tf& q) { return 100 * (1 - q.rate / off.rate); }),
                           "%.1f %%"),
                    "", "the queries and the read side's upkeep together"});
    // The target is what the query load costs the writers: the hub as it runs (read side on)
    // without queries, against the same with them.
    rows.push_back({sec, "CPU per transition, queries beside / on" + by,
                    spread(per_repeat(m, [](const tf&, const tf& on,
                                            const tf& q) { return q.cpu_us / on.cpu_us; }),
                           "%.3f"),
                    "", "the queries alone (CPU-time ratio): target <= 1.10"});
    rows.push_back({sec, "write throughput drop, queries beside vs on" + by,
                    spread(per_repeat(m, [](const tf&, const tf& on,
                                            const tf& q) { return 100 * (1 - q.rate / on.rate); }),
                           "%.1f %%"),
                    "", "the queries alone: target <= 10 %"});
    rows.push_back({sec, "the queries' CPU per transition" + by,
                    spread(per_repeat(m, [](const tf&, const tf& on,
                                            const tf& q) { return q.cpu_us - on.cpu_us; }),
                           "%.2f us"),
                    "", "queries beside minus on"});
  }
  return rows;
}

// -- run_queries --------------------------------------------------------------------------------

std::vector<row> run_queries(const options& o, std::shared_ptr<const protocol::hierarchy> h,
                             const cast& people) {
  const auto m = o.query_cases;
  const auto samples = static_cast<std::size_t>(o.query_samples);
  std::vector<row> rows;
  const std::string sec = "queries, a city holding " + std::to_string(m) + " cases (" +
                          std::to_string(samples) + " asks each, one at a time)";
  {
    runtime rt(o);
    auto& sys = *rt.sys;
    progress("queries: spawning the city, reporting %zu cases (%zu in flight)", m, o.window);
    auto city = std::make_unique<actors::city>(sys, h, city_opts(o));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    auto rep = std::make_shared<reporter>(*city, people);
    rep->run_until(m, o.window);
    while (!rep->signal.wait_for([&] { return rep->done() >= m || rep->errors() != 0; },
                                 std::chrono::seconds(2)))
      progress("queries: %llu / %zu reports acked", static_cast<unsigned long long>(rep->done()),
               m);
    if (rep->errors() != 0) {
      std::fprintf(stderr, "hub-bench: reports refused: %s\n", rep->first_error().c_str());
      std::exit(1);
    }

    auto a = std::make_shared<asker>(*city);
    // The case with a 30-step history, at the first grid.
    const auto& grid = h->units[people.grids.front()];
    protocol::case_report r;
    r.unit = grid.code;
    r.category = people.category;
    r.title = "三十步";
    const auto made = expect<protocol::ack>(*a, people.worker.front(), r, "the 30-step report");
    protocol::case_act sign;
    sign.id = made.case_ref;
    sign.action = protocol::case_action::sign;
    expect<protocol::ack>(*a, people.worker.front(), sign, "its sign");
    for (int k = 0; k < 28; ++k) {
      protocol::case_act remind;
      remind.id = made.case_ref;
      remind.action = protocol::case_action::remind;
      remind.note = "催办 " + std::to_string(k + 1);
      expect<protocol::ack>(*a, people.city_leader, remind, "a reminder");
    }
    // A directive to every grid; every other grid signs.
    protocol::directive_issue d;
    d.channel = 1;
    d.title = "全市网格排查";
    d.target.kind = protocol::target_kind::level;
    d.target.units = {h->units.front().code};
    d.target.level = protocol::unit_kind::grid;
    const auto issued = expect<protocol::ack>(*a, people.city_leader, d, "the directive");
    progress("queries: %zu grids sign the directive", people.grids.size() / 2);
    // (A grid the fan-out has not reached yet answers unknown_directive: ask it again.)
    const auto fan_out_by = now_ns() + 30'000'000'000;
    for (std::size_t g = 0; g < people.grids.size(); g += 2)
      for (;;) {
        auto [msg, ms] =
            a->ask(people.worker[g], protocol::directive_act{issued.directive_ref,
                                                             protocol::directive_action::sign, ""});
        auto* e = std::get_if<protocol::error>(&msg);
        if (e == nullptr || e->code != protocol::errc::unknown_directive || now_ns() > fan_out_by) {
          if (!std::holds_alternative<protocol::ack>(msg))
            fail("a sign", msg);
          break;
        }
        std::this_thread::yield();
      }
    std::this_thread::sleep_for(settle_time(o)); // the figure waves die down (not timed)

    const auto* township = h->ancestor_of_kind(grid.code, protocol::unit_kind::township);
    const auto* county = h->ancestor_of_kind(grid.code, protocol::unit_kind::county);
    const auto township_head = someone(*h, township->code, protocol::post::township_head);
    const auto county_leader = someone(*h, county->code, protocol::post::county_leader);
    struct timed {
      std::string what;
      actors::principal who;
      query q;
      double target_ms;
      std::string note;
    };
    std::vector<timed> asks;
    query open_cases;
    open_cases.what = query_kind::cases;
    open_cases.unit = township->code;
    open_cases.limit = 200;
    asks.push_back(
        {"a township's open cases, first page of 200", township_head, open_cases, 10, ""});
    query one;
    one.what = query_kind::one_case;
    one.case_ref = made.case_ref;
    asks.push_back({"a case with a 30-step history", township_head, one, 2, ""});
    query per_county;
    per_county.what = query_kind::directive;
    per_county.directive_ref = issued.directive_ref;
    asks.push_back({"a directive to every grid: per county + laggards", people.city_leader,
                    per_county, 20, "scope the city, first page of 50 laggards"});
    query per_township = per_county;
    per_township.unit = county->code;
    asks.push_back({"a directive to every grid: per township + laggards", county_leader,
                    per_township, 20, "scope a county"});
    query figures;
    figures.what = query_kind::figures;
    figures.unit = h->units.front().code;
    figures.period = protocol::figure_period::month;
    asks.push_back(
        {"the city's figures with its 10 counties", people.city_leader, figures, 5, "this month"});
    query ranking;
    ranking.what = query_kind::ranking;
    ranking.unit = county->code;
    ranking.period = protocol::figure_period::month;
    asks.push_back({"a county's township ranking", county_leader, ranking, 5, "this month"});

    for (const auto& t : asks) {
      std::vector<double> ms;
      ms.reserve(samples);
      std::size_t found = 0;
      for (std::size_t k = 0; k <= samples; ++k) { // the first is a warm-up
        auto [msg, took] = a->ask(t.who, t.q);
        auto* res = std::get_if<protocol::result>(&msg);
        if (res == nullptr)
          fail(t.what, msg);
        found = res->cases.size() + res->one.steps.size() + res->directive.laggards.size() +
                res->figures.children.size() + res->ranking.rows.size();
        if (k > 0)
          ms.push_back(took);
      }
      progress("queries: %s: p50 %.3f ms, p99 %.3f ms (%zu rows)", t.what.c_str(),
               percentile(ms, 0.5), percentile(ms, 0.99), found);
      rows.push_back({sec, t.what, fmt("p50 %.2f ms", percentile(ms, 0.5)),
                      fmt("p99 %.2f ms", percentile(ms, 0.99)),
                      fmt("target p99 <= %.0f ms; ", t.target_ms) + std::to_string(found) +
                          " rows" + (t.note.empty() ? "" : "; " + t.note)});
    }
    progress("queries: tearing the city down");
    city.reset();
    sys.await_all_actors_done();
  }

  // The transitions benchmark with the read side off, on, and on with queries beside it.
  auto cost = run_read_cost(o, h, people);
  rows.insert(rows.end(), cost.begin(), cost.end());
  return rows;
}

} // namespace hub::bench
