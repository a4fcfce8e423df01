// hub-bench "year": a year of the city in accelerated time, on a real Redis, with retention and
// without it (the baseline), one after the other in one invocation (sim/bench/README.md, "A
// year in minutes").
//
// The city runs on the real (work-sharing) scheduler, writing through the Redis journal, with
// a clock that stands still until the benchmark moves it (bench_clock.hpp). Simulated time
// goes forward in slices (15 minutes): the clock is moved to the slice's end, which delivers
// every timer due by then (deadlines, retention, figure ticks); then every action of the
// city's people due by then is submitted, and the slice ends once each was answered. So a
// day's order of work and its aging are the city's, and a day costs only its work.
//
// The people (one driver, `people`): cases are reported at random grids through the day and
// live the hub-sim scenario's lives (sim/load/scenario.hpp, its defaults: shares and delays):
// 60 % closed at the grid, 28 % escalated and closed at the village, 8 % at the township, 4 %
// whistled to one or two county departments, which report in and feed back, the township
// resolves, rates each department (评哨) and closes. Every day at 09:00 the city leader issues
// a directive to every grid of the first N counties (all ten: the city-wide one), due in 24
// hours; each grid's head signs it when its arrival event is seen (a city subscription) and
// completes it, except 1 % who sign and never complete (so it ends at its deadline). Every
// case and directive ends, so retention can let each go.
//
// After each calendar month (Asia/Shanghai, from 2026-01-01) a row: cases reported so far, the
// process's resident memory (the city is in process; the driver keeps only what is in flight),
// Redis's used_memory and the archive's part of it, hot and archived cases, archived
// directives. At the end each run's city is stopped and recovered from its Redis, timed: read
// the store (persistence::recover), build the city (every unit adopts its records).

#include "actors/period_book.hpp"
#include "persistence/case_archive_store.hpp"
#include "persistence/recovery.hpp"
#include "persistence/redis_journal.hpp"
#include "sim/bench/bench_clock.hpp"
#include "sim/bench/bench_common.hpp"
#include "sim/bench/bench_redis.hpp"
#include "sim/bench/bench_wait.hpp"
#include "sim/load/scenario.hpp"

#include <dlfcn.h>

#include <array>
#include <cmath>
#include <mutex>
#include <queue>
#include <random>
#include <thread>
#include <tuple>
#include <unordered_map>

namespace hub::bench {

using protocol::case_action;
using protocol::post;
using protocol::unit_kind;

namespace {

constexpr std::int64_t minute_ms = 60'000;
constexpr std::int64_t day_ms = 24 * 60 * minute_ms;
/// 2026-01-01 00:00 in Beijing (UTC+8), where the simulated year starts.
constexpr protocol::timestamp_ms year_start = 1'767'196'800'000;
constexpr std::array<int, 12> month_days{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

double mib(std::int64_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

/// Hands freed memory back to the system before RSS is read: glibc's malloc_trim, and
/// jemalloc's purge of every arena when the process runs on jemalloc (it decays freed pages
/// on a timer of its own otherwise).
using mallctl_fn = int (*)(const char*, void*, std::size_t*, void*, std::size_t);

/// jemalloc's mallctl when the process runs on jemalloc (hub-bench links it; the bench
/// library does not, so it is looked up), else null.
mallctl_fn jemalloc_ctl() {
  static const auto f = reinterpret_cast<mallctl_fn>(dlsym(RTLD_DEFAULT, "mallctl"));
  return f;
}

void release_free_memory() {
  trim_heap();
  if (auto* f = jemalloc_ctl())
    f("arena.4096.purge", nullptr, nullptr, nullptr, 0); // 4096: MALLCTL_ARENAS_ALL
}

/// The bytes the program holds allocated now (jemalloc's `stats.allocated`, after an `epoch`
/// refresh of its statistics): live data, apart from the pages the allocator keeps. -1 when
/// the process does not run on jemalloc.
std::int64_t live_heap_bytes() {
  auto* f = jemalloc_ctl();
  if (f == nullptr)
    return -1;
  std::uint64_t epoch = 1;
  std::size_t len = sizeof(epoch);
  if (f("epoch", &epoch, &len, &epoch, len) != 0)
    return -1;
  std::size_t allocated = 0;
  len = sizeof(allocated);
  if (f("stats.allocated", &allocated, &len, nullptr, 0) != 0)
    return -1;
  return static_cast<std::int64_t>(allocated);
}

/// With jemalloc's profiler on (`MALLOC_CONF=prof:true,...`), dumps the heap profile to
/// `year-RUN-MONTH.heap` in the working folder, to compare months with `jeprof --base`.
void dump_heap_profile(const char* run, int month) {
  auto* f = jemalloc_ctl();
  bool on = false;
  std::size_t len = sizeof(on);
  if (f == nullptr || f("opt.prof", &on, &len, nullptr, 0) != 0 || !on)
    return;
  const std::string file = "year-" + std::string(run) + "-" + std::to_string(month) + ".heap";
  const char* name = file.c_str();
  if (f("prof.dump", nullptr, nullptr, &name, sizeof(name)) == 0)
    progress("year: heap profile %s", name);
}

enum class life : std::uint8_t { grid, village, township, whistle };
/// Who takes a step: the grid's full-time worker and head, the village secretary, the
/// township's operator and head, the module head of the case's category.
enum class role : std::uint8_t { worker, head, secretary, operator_, town_head, module_head };

struct step {
  case_action action;
  role who;
  sim::delay_range delay; // after the previous step's ack
};

/// The lives of cases, step by step after the report (live_workload's plans, without the
/// declined whistles). A whistle's resolve waits for every department's feedback; its rates
/// are one per department (the second is skipped with one department).
struct scripts {
  std::vector<step> by_life[4];
  explicit scripts(const sim::scenario& s) {
    const auto &g = s.grid, &v = s.village, &t = s.township;
    const auto& w = s.whistle;
    by_life[0] = {{case_action::sign, role::worker, g.sign},
                  {case_action::start, role::worker, {0, g.handle.min / 4}},
                  {case_action::resolve, role::worker, g.handle},
                  {case_action::close, role::head, g.close}};
    by_life[1] = {{case_action::sign, role::worker, g.sign},
                  {case_action::escalate, role::head, g.escalate},
                  {case_action::sign, role::secretary, v.sign},
                  {case_action::resolve, role::secretary, v.handle},
                  {case_action::close, role::secretary, v.close}};
    by_life[2] = {{case_action::sign, role::worker, g.sign},
                  {case_action::escalate, role::head, g.escalate},
                  {case_action::sign, role::secretary, v.sign},
                  {case_action::escalate, role::secretary, v.escalate},
                  {case_action::sign, role::operator_, t.sign},
                  {case_action::resolve, role::operator_, t.handle},
                  {case_action::close, role::town_head, t.close}};
    by_life[3] = by_life[2];
    by_life[3].resize(5);
    by_life[3].insert(by_life[3].end(),
                      {{case_action::propose_whistle, role::module_head, w.propose},
                       {case_action::approve_whistle, role::town_head, w.approve},
                       {case_action::resolve, role::operator_, w.resolve},
                       {case_action::rate, role::town_head, w.rate},
                       {case_action::rate, role::town_head, w.rate},
                       {case_action::close, role::town_head, t.close}});
  }
};

/// One case on its way (only while it is).
struct walk {
  protocol::case_id id = 0;
  std::uint32_t g = 0; // the grid's position in cast::grids
  std::uint16_t category = 0;
  life kind = life::grid;
  std::uint8_t next = 0; // index of the next step
  std::uint8_t departments = 0, feedback_missing = 0;
  bool waiting = false; // for the departments' feedback
  std::array<protocol::unit_code, 2> department{};
  std::array<std::uint8_t, 2> score{};
};

struct year_figures {
  int month = 0;
  int day = 0; // days simulated
  std::uint64_t reported = 0;
  std::int64_t rss = 0;
  std::int64_t live = -1; // jemalloc's stats.allocated, -1 without jemalloc
  std::int64_t redis_used = 0, archive_bytes = 0;
  std::uint64_t hot = 0, archived = 0, archived_directives = 0;
  double wall_s = 0;
};

struct restart_figures {
  double read_ms = 0, build_ms = 0;
  std::size_t cases = 0, open_cases = 0, directives = 0, receipts = 0, events = 0, requests = 0,
              tasks = 0;
  std::int64_t rss = 0;
};

/// The city's people for the year (see the top of the file). Its state is guarded by one
/// mutex: the main thread submits what is due, answers and events come on the city's threads.
/// Requests are submitted outside the lock (a refusal may be answered on the spot).
class people : public actors::client_sink, public std::enable_shared_from_this<people> {
public:
  people(actors::city& c, const protocol::hierarchy& h, const cast& cast_, const options& o,
         std::uint64_t seed)
    : city_(c)
    , h_(h)
    , cast_(cast_)
    , o_(o)
    , scripts_(plan_)
    , rng_(seed) {
    for (std::uint32_t i = 0; i < cast_.grids.size(); ++i)
      grid_pos_.emplace(h.units[cast_.grids[i]].code, i);
    for (const auto& u : h.units)
      if (u.kind == unit_kind::county && counties_.size() < o.year_counties)
        counties_.push_back(u.code);
    shares_ = {plan_.grid.share, plan_.village.share, plan_.township.share, plan_.whistle.share};
  }

  /// Subscribes to the city's events (directive arrivals); waits for the ack.
  void watch_city() {
    submit_now(cast_.city_leader, protocol::subscribe{h_.units.front().code, std::nullopt, false},
               {what::subscribe, 0, 0});
    wait_idle();
  }

  /// Runs simulated time from `from` to `to` (wall ms): the reports and the directive due in
  /// it, and every step due by `to`, until all are answered.
  void run_slice(protocol::timestamp_ms from, protocol::timestamp_ms to) {
    now_.store(to);
    std::vector<outgoing> out;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      owed_ += static_cast<double>(o_.year_cases_per_day) * static_cast<double>(to - from) /
               static_cast<double>(day_ms);
      for (; owed_ >= 1; owed_ -= 1)
        start_case(out);
      const auto nine = (from - year_start) / day_ms * day_ms + year_start + 9 * 3'600'000;
      for (auto at = nine; at < to; at += day_ms)
        if (at >= from && !counties_.empty())
          issue_directive(to, out);
    }
    send_all(out);
    wait_idle();
    for (;;) { // steps due by `to`, and the ones they make due (a delay of 0)
      {
        std::lock_guard<std::mutex> guard{mutex_};
        take_due(to, out);
      }
      if (out.empty())
        return;
      send_all(out);
      wait_idle();
    }
  }

  std::uint64_t reported() const { return reported_.load(); }
  std::uint64_t refused() const { return refused_.load(); }
  std::uint64_t closed() const { return closed_.load(); }
  std::uint64_t receipts() const { return receipts_.load(); }
  std::size_t in_walks() {
    std::lock_guard<std::mutex> guard{mutex_};
    return walks_.size();
  }

  void send(actors::outbound_ptr msg) override {
    const auto& m = msg->message();
    if (auto* a = std::get_if<protocol::ack>(&m))
      return answered(a->id, a, nullptr);
    if (auto* e = std::get_if<protocol::error>(&m))
      return answered(e->id, nullptr, e);
    if (auto* d = std::get_if<protocol::directive_event>(&m))
      return arrived(*d);
  }

private:
  enum class what : std::uint8_t { subscribe, report, step, task, directive, receipt };
  struct pending {
    what kind;
    std::uint64_t ref = 0;   // walk, or directive
    std::uint32_t extra = 0; // task: the department's slot; receipt: grid position << 1 | stage
  };
  struct outgoing {
    actors::principal who;
    protocol::client_message msg;
  };
  /// (time, kind: 0 step, 1 task, 2 receipt, ref, extra)
  using due_item = std::tuple<protocol::timestamp_ms, std::uint8_t, std::uint64_t, std::uint32_t>;

  std::int64_t draw(const sim::delay_range& d) {
    return d.max <= d.min ? d.min : std::uniform_int_distribution<std::int64_t>(d.min, d.max)(rng_);
  }

  void schedule(const sim::delay_range& d, std::uint8_t kind, std::uint64_t ref,
                std::uint32_t extra) {
    due_.emplace(now_.load() + draw(d), kind, ref, extra);
  }

  void queue(std::vector<outgoing>& out, const actors::principal& who, protocol::client_body body,
             pending p) {
    const auto id = next_request_++;
    pending_.emplace(id, p);
    out.push_back({who, {id, std::move(body)}});
  }

  void submit_now(const actors::principal& who, protocol::client_body body, pending p) {
    std::vector<outgoing> out;
    {
      std::lock_guard<std::mutex> guard{mutex_};
      queue(out, who, std::move(body), p);
    }
    send_all(out);
  }

  void send_all(std::vector<outgoing>& out) {
    for (auto& o : out)
      city_.submit(o.who, std::move(o.msg), shared_from_this());
    out.clear();
  }

  void wait_idle() {
    signal_.wait(
        [&] {
          std::lock_guard<std::mutex> guard{mutex_};
          return pending_.empty();
        },
        "the answers of a slice", std::chrono::seconds(300));
  }

  // -- cases ----------------------------------------------------------------------------------

  void start_case(std::vector<outgoing>& out) {
    walk w;
    w.g = static_cast<std::uint32_t>(rng_() % cast_.grids.size());
    w.category = static_cast<std::uint16_t>(rng_() % h_.categories.size());
    const auto roll = std::uniform_real_distribution<>(0, 1)(rng_);
    double sum = 0;
    w.kind = life::whistle;
    for (int k = 0; k < 3; ++k)
      if (roll < (sum += shares_[static_cast<std::size_t>(k)])) {
        w.kind = static_cast<life>(k);
        break;
      }
    if (w.kind == life::whistle && !pick_departments(w))
      w.kind = life::township;
    const auto no = next_walk_++;
    walks_.emplace(no, w);
    const auto& cat = h_.categories[w.category];
    const auto& grid = h_.units[cast_.grids[w.g]];
    protocol::case_report r;
    r.unit = grid.code;
    r.category = cat.code;
    r.title = cat.name;
    r.level = std::uniform_real_distribution<>(0, 1)(rng_) < plan_.urgent
                  ? protocol::urgency::urgent
                  : protocol::urgency::normal;
    r.lat = grid.lat;
    r.lon = grid.lon;
    queue(out, cast_.worker[w.g], std::move(r), {what::report, no, 0});
  }

  /// One or two of the county's departments, those mirroring the category's module first.
  bool pick_departments(walk& w) {
    const auto& cat = h_.categories[w.category];
    const auto* county = h_.ancestor_of_kind(h_.units[cast_.grids[w.g]].code, unit_kind::county);
    if (county == nullptr)
      return false;
    std::vector<protocol::unit_code> mirror, other;
    for (auto i : h_.children(county->code)) {
      const auto& d = h_.units[i];
      if (d.kind != unit_kind::department)
        continue;
      (std::find(d.modules.begin(), d.modules.end(), cat.module) != d.modules.end() ? mirror
                                                                                    : other)
          .push_back(d.code);
    }
    std::shuffle(mirror.begin(), mirror.end(), rng_);
    std::shuffle(other.begin(), other.end(), rng_);
    mirror.insert(mirror.end(), other.begin(), other.end());
    const auto& wh = plan_.whistle;
    const auto n = std::min<std::size_t>(
        mirror.size(), static_cast<std::size_t>(std::uniform_int_distribution<int>(
                           wh.departments_min, std::min(wh.departments_max, 2))(rng_)));
    if (n == 0)
      return false;
    std::discrete_distribution<int> score(plan_.ratings.begin(), plan_.ratings.end());
    w.departments = static_cast<std::uint8_t>(n);
    for (std::size_t k = 0; k < n; ++k) {
      w.department[k] = mirror[k];
      w.score[k] = static_cast<std::uint8_t>(1 + score(rng_));
    }
    return true;
  }

  const protocol::person* person_at(protocol::unit_code unit, post p, int module = -1) const {
    for (auto i : h_.people_at(unit)) {
      const auto& person = h_.people[i];
      if (person.holds == p && (module < 0 || person.module == module))
        return &person;
    }
    return nullptr;
  }

  /// The township head, or a module head of `module` (any module head when none holds it).
  actors::principal township_person(const walk& w, role r) {
    const auto* town = h_.ancestor_of_kind(h_.units[cast_.grids[w.g]].code, unit_kind::township);
    const protocol::person* p = nullptr;
    if (town != nullptr) {
      if (r == role::town_head)
        p = person_at(town->code, post::township_head);
      else if ((p = person_at(town->code, post::township_module_head,
                              h_.categories[w.category].module)) == nullptr)
        p = person_at(town->code, post::township_module_head);
    }
    return p != nullptr ? actors::principal::of(*p) : cast_.township_operator[w.g];
  }

  actors::principal acting(const walk& w, role r) {
    switch (r) {
      case role::worker: return cast_.worker[w.g];
      case role::head: return cast_.head[w.g];
      case role::secretary: return cast_.village_secretary[w.g];
      case role::operator_: return cast_.township_operator[w.g];
      default: return township_person(w, r);
    }
  }

  /// Queues walk `no`'s next step (skipping a second rate when one department was summoned).
  void next_step(std::uint64_t no, std::vector<outgoing>& out) {
    auto found = walks_.find(no);
    if (found == walks_.end())
      return;
    auto& w = found->second;
    const auto& steps = scripts_.by_life[static_cast<int>(w.kind)];
    if (w.kind == life::whistle && w.next == steps.size() - 2 && w.departments < 2)
      ++w.next;
    const auto& s = steps[w.next];
    protocol::case_act act;
    act.id = w.id;
    act.action = s.action;
    act.note = "已处理";
    if (s.action == case_action::propose_whistle)
      act.departments.assign(w.department.begin(), w.department.begin() + w.departments);
    if (s.action == case_action::rate) {
      const auto k = w.next - (steps.size() - 3);
      act.unit = w.department[k];
      act.score = w.score[k];
      act.note.clear();
    }
    queue(out, acting(w, s.who), std::move(act), {what::step, no, 0});
  }

  void step_done(std::uint64_t no) {
    auto found = walks_.find(no);
    if (found == walks_.end())
      return;
    auto& w = found->second;
    const auto& steps = scripts_.by_life[static_cast<int>(w.kind)];
    const auto done = steps[w.next].action;
    ++w.next;
    if (done == case_action::close) {
      closed_.fetch_add(1);
      walks_.erase(found);
      return;
    }
    if (done == case_action::approve_whistle) {
      // The departments see the summons on their consoles and report in.
      w.feedback_missing = w.departments;
      w.waiting = true;
      for (std::uint32_t k = 0; k < w.departments; ++k)
        schedule(plan_.whistle.report_in, 1, no, k << 1);
      return;
    }
    schedule(steps[w.next].delay, 0, no, 0);
  }

  void task_done(std::uint64_t no, std::uint32_t extra) {
    auto found = walks_.find(no);
    if (found == walks_.end())
      return;
    auto& w = found->second;
    if ((extra & 1) == 0) // reported in: feedback later
      return schedule(plan_.whistle.feedback, 1, no, extra | 1);
    if (--w.feedback_missing == 0 && w.waiting) {
      w.waiting = false;
      schedule(scripts_.by_life[3][w.next].delay, 0, no, 0);
    }
  }

  void queue_task(std::uint64_t no, std::uint32_t extra, std::vector<outgoing>& out) {
    auto found = walks_.find(no);
    if (found == walks_.end())
      return;
    const auto& w = found->second;
    const auto department = w.department[extra >> 1];
    const auto* head = person_at(department, post::department_head);
    if (head == nullptr)
      return;
    protocol::case_act act;
    act.id = w.id;
    act.action = (extra & 1) == 0 ? case_action::report_in : case_action::feedback;
    act.note = (extra & 1) == 0 ? "已报到" : "已处置";
    queue(out, actors::principal::of(*head), std::move(act), {what::task, no, extra});
  }

  // -- directives -----------------------------------------------------------------------------

  void issue_directive(protocol::timestamp_ms at, std::vector<outgoing>& out) {
    protocol::directive_issue d;
    d.channel = 0;
    d.title = "每日安全巡查 #" + std::to_string(++issued_);
    d.body = "请按时签收并反馈";
    d.deadline = at + day_ms;
    d.target.kind = protocol::target_kind::level;
    d.target.level = unit_kind::grid;
    d.target.units = counties_;
    queue(out, cast_.city_leader, std::move(d), {what::directive, 0, 0});
  }

  void arrived(const protocol::directive_event& e) {
    if (e.action != protocol::directive_action::issue || e.recipient == 0)
      return;
    auto g = grid_pos_.find(e.recipient);
    if (g == grid_pos_.end())
      return;
    std::lock_guard<std::mutex> guard{mutex_};
    schedule({minute_ms, 20 * minute_ms}, 2, e.id, g->second << 1);
  }

  void queue_receipt(std::uint64_t directive, std::uint32_t extra, std::vector<outgoing>& out) {
    protocol::directive_act act;
    act.id = directive;
    act.action =
        (extra & 1) == 0 ? protocol::directive_action::sign : protocol::directive_action::complete;
    queue(out, cast_.head[extra >> 1], act, {what::receipt, directive, extra});
  }

  void receipt_done(std::uint64_t directive, std::uint32_t extra) {
    receipts_.fetch_add(1);
    // 1 % sign and never complete: the directive then ends at its deadline.
    if ((extra & 1) == 0 && std::uniform_real_distribution<>(0, 1)(rng_) >= 0.01)
      schedule({10 * minute_ms, 60 * minute_ms}, 2, directive, extra | 1);
  }

  // -- answers --------------------------------------------------------------------------------

  void take_due(protocol::timestamp_ms until, std::vector<outgoing>& out) {
    while (!due_.empty() && std::get<0>(due_.top()) <= until) {
      auto [at, kind, ref, extra] = due_.top();
      due_.pop();
      if (kind == 0)
        next_step(ref, out);
      else if (kind == 1)
        queue_task(ref, extra, out);
      else
        queue_receipt(ref, extra, out);
    }
  }

  void answered(std::uint64_t id, const protocol::ack* a, const protocol::error* e) {
    {
      std::lock_guard<std::mutex> guard{mutex_};
      auto found = pending_.find(id);
      if (found == pending_.end())
        return;
      const auto p = found->second;
      pending_.erase(found);
      if (e != nullptr) {
        if (refused_.fetch_add(1) < 10)
          std::fprintf(stderr, "hub-bench: year: request %llu refused: %s: %s\n",
                       static_cast<unsigned long long>(id),
                       std::string(protocol::to_string(e->code)).c_str(), e->message.c_str());
        if (p.kind == what::report || p.kind == what::step || p.kind == what::task)
          walks_.erase(p.ref); // its case stays where it is
      } else {
        switch (p.kind) {
          case what::subscribe:
          case what::directive: break;
          case what::report:
            if (auto w = walks_.find(p.ref); w != walks_.end()) {
              reported_.fetch_add(1);
              w->second.id = a->case_ref;
              schedule(scripts_.by_life[static_cast<int>(w->second.kind)][0].delay, 0, p.ref, 0);
            }
            break;
          case what::step: step_done(p.ref); break;
          case what::task: task_done(p.ref, p.extra); break;
          case what::receipt: receipt_done(p.ref, p.extra); break;
        }
      }
      if (!pending_.empty())
        return;
    }
    signal_.notify();
  }

  actors::city& city_;
  const protocol::hierarchy& h_;
  const cast& cast_;
  const options& o_;
  const sim::scenario plan_{};
  const scripts scripts_;
  std::array<double, 4> shares_{};
  std::mt19937_64 rng_;
  std::unordered_map<protocol::unit_code, std::uint32_t> grid_pos_;
  std::vector<protocol::unit_code> counties_; // the directive's scope

  std::mutex mutex_;
  std::atomic<protocol::timestamp_ms> now_{year_start};
  double owed_ = 0;
  std::uint64_t next_walk_ = 1, next_request_ = 1, issued_ = 0;
  std::unordered_map<std::uint64_t, walk> walks_;
  std::unordered_map<std::uint64_t, pending> pending_;
  std::priority_queue<due_item, std::vector<due_item>, std::greater<>> due_;
  std::atomic<std::uint64_t> reported_{0}, refused_{0}, closed_{0}, receipts_{0};
  waiter signal_;
};

/// The actor system of a run: `hub serve`'s scheduler policy, on a manual clock.
struct manual_runtime {
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
  explicit manual_runtime(const options& o) {
    cfg.set("scheduler.max-threads", o.threads);
    cfg.set("logger.console", caf::atom("none"));
    install_manual_clock(cfg);
    sys.emplace(cfg);
  }
  manual_clock& clock() { return static_cast<manual_clock&>(sys->clock()); }
};

/// Recovers the store into `c` (snapshot, journal, archive when `retain`) as `hub serve` does.
persistence::recovered recover_into(const std::shared_ptr<const protocol::hierarchy>& h,
                                    persistence::store_options store, actors::city_options& c,
                                    bool retain) {
  store.resume_window = c.retention;
  store.request_log = c.remembered_requests;
  auto r = persistence::recover(*h, store);
  if (auto* why = std::get_if<std::string>(&r))
    throw std::runtime_error(*why);
  auto got = std::get<persistence::recovered>(std::move(r));
  auto last = got.snapshot->last_seq;
  auto epoch = got.epoch;
  c.snapshot = got.snapshot;
  c.make_store = [h, store, last, epoch](std::shared_ptr<actors::bus> events) {
    return std::make_shared<persistence::redis_journal>(std::move(events), h, store, last, epoch);
  };
  if (retain)
    c.archive = std::make_shared<persistence::case_archive_store>(store);
  return got;
}

/// The store's counts (the archive's own counter, as /metrics has them).
void count_store(persistence::case_archive_store& counter, year_figures& f) {
  counter.count_now();
  counter.drain();
  const auto g = counter.gauges();
  f.hot = g.hot_cases;
  f.archived = g.archived_cases;
  f.archived_directives = g.archived_directives;
  f.archive_bytes = static_cast<std::int64_t>(g.bytes);
  f.redis_used = static_cast<std::int64_t>(g.redis_used);
}

void print_month(const char* run, const year_figures& f) {
  std::printf("  %-9s %5d %5d %12llu %10.1f %10.1f %10.1f %10.1f %10.1f %11llu %11llu %9llu "
              "%8.1f\n",
              run, f.month, f.day, static_cast<unsigned long long>(f.reported), mib(f.rss),
              f.live < 0 ? NAN : mib(f.live), mib(f.redis_used), mib(f.archive_bytes),
              mib(f.redis_used - f.archive_bytes), static_cast<unsigned long long>(f.hot),
              static_cast<unsigned long long>(f.archived),
              static_cast<unsigned long long>(f.archived_directives), f.wall_s);
  std::fflush(stdout);
}

void print_header() {
  std::printf("  %-9s %5s %5s %12s %10s %10s %10s %10s %10s %11s %11s %9s %8s\n", "run", "month",
              "day", "cases", "hub MiB", "live MiB", "redis MiB", "archive", "redis-arch",
              "hot cases", "archived", "arch.dir", "wall s");
}

struct run_result {
  std::vector<year_figures> months;
  restart_figures restart;
  std::uint64_t refused = 0, closed = 0, receipts = 0;
  double wall_s = 0;
};

run_result run_one(const options& o, const std::shared_ptr<const protocol::hierarchy>& h,
                   const cast& people_, const persistence::store_options& store, bool retain) {
  const char* name = retain ? "retention" : "baseline";
  flushall(store.address);
  release_free_memory();
  run_result result;
  persistence::case_archive_store counter(store); // counts for the rows in both runs
  const auto t_run = now_ns();
  protocol::timestamp_ms end = year_start + static_cast<std::int64_t>(o.year_days) * day_ms;
  {
    manual_runtime rt(o);
    actors::city_options c;
    c.wall_now = year_start;
    recover_into(h, store, c, retain);
    c.retain.cases = c.retain.directives =
        std::chrono::hours(24 * static_cast<std::int64_t>(o.year_retain_days));
    auto city = std::make_unique<actors::city>(*rt.sys, h, c);
    while (!city->ready())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const auto steady0 = rt.clock().now();
    auto who = std::make_shared<people>(*city, *h, people_, o, o.seed != 0 ? o.seed : 2026);
    who->watch_city();
    progress("year: %s run: %d days, %zu cases a day, a directive a day to the grids of %zu "
             "counties, retention %s",
             name, o.year_days, o.year_cases_per_day, o.year_counties,
             retain ? (std::to_string(o.year_retain_days) + " days").c_str() : "off");
    const std::int64_t slice = static_cast<std::int64_t>(o.year_slice_minutes) * minute_ms;
    int month = 0, month_end_day = month_days[0];
    for (protocol::timestamp_ms t = year_start; t < end;) {
      const auto next = std::min(t + slice, end);
      rt.clock().advance_to(steady0 + std::chrono::milliseconds(next - year_start));
      who->run_slice(t, next);
      t = next;
      const int day = static_cast<int>((t - year_start) / day_ms);
      if ((t - year_start) % day_ms == 0 && (day == month_end_day || t == end)) {
        year_figures f;
        f.month = month + 1;
        f.day = day;
        f.reported = who->reported();
        release_free_memory();
        f.rss = rss_bytes();
        f.live = live_heap_bytes();
        dump_heap_profile(name, f.month);
        count_store(counter, f);
        f.wall_s = ms_between(t_run, now_ns()) / 1000;
        print_month(name, f);
        result.months.push_back(f);
        ++month;
        month_end_day += month_days[static_cast<std::size_t>(month % 12)];
      } else if ((t - year_start) % day_ms == 0 && day % 10 == 0) {
        progress("year: %s: day %d, %llu cases reported, %llu closed, %zu on their way, %llu "
                 "receipts, RSS %.0f MiB",
                 name, day, static_cast<unsigned long long>(who->reported()),
                 static_cast<unsigned long long>(who->closed()), who->in_walks(),
                 static_cast<unsigned long long>(who->receipts()), mib(rss_bytes()));
      }
    }
    result.refused = who->refused();
    result.closed = who->closed();
    result.receipts = who->receipts();
    result.wall_s = ms_between(t_run, now_ns()) / 1000;
    progress("year: %s run done in %.1f s; stopping the city (its journal writes what is queued)",
             name, result.wall_s);
    who.reset();
    city.reset();
    rt.sys->await_all_actors_done();
  }
  // The restart: recover the city from this Redis, timed.
  release_free_memory();
  {
    manual_runtime rt(o);
    actors::city_options c;
    c.wall_now = end;
    c.retain.cases = c.retain.directives =
        std::chrono::hours(24 * static_cast<std::int64_t>(o.year_retain_days));
    const auto t0 = now_ns();
    auto got = recover_into(h, store, c, retain);
    const auto t1 = now_ns();
    auto city = std::make_unique<actors::city>(*rt.sys, h, c);
    while (!city->ready())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const auto t2 = now_ns();
    auto& r = result.restart;
    r.read_ms = ms_between(t0, t1);
    r.build_ms = ms_between(t1, t2);
    r.cases = got.cases;
    r.open_cases = got.open_cases;
    r.directives = got.directives;
    r.receipts = got.receipts;
    r.events = got.events;
    r.requests = got.requests;
    r.tasks = got.tasks;
    r.rss = rss_bytes();
    progress("year: %s restart: read the store %.0f ms (%zu cases, %zu open, %zu department "
             "tasks, %zu directives with %zu receipts, the event log's last %zu events, the "
             "request log's last %zu requests), build the city %.0f ms",
             name, r.read_ms, r.cases, r.open_cases, r.tasks, r.directives, r.receipts, r.events,
             r.requests, r.build_ms);
    std::string steps;
    for (const auto& [what, took] : got.steps)
      steps += " " + std::string(what) + " " + std::to_string(took.count());
    progress("year: %s restart: reading, step by step (ms):%s; %zu figure fields (a unit's day or "
             "month)",
             name, steps.c_str(), got.figure_counts);
    city.reset();
    rt.sys->await_all_actors_done();
  }
  return result;
}

/// True when every month after `ref` (an index) is within ±10 % of month `ref`'s value;
/// `worst`: the largest difference, `per_month`: the growth a month from `ref` to the last.
bool flat(const std::vector<year_figures>& months, std::int64_t year_figures::*field,
          std::size_t ref, double* worst, double* per_month) {
  *worst = 0;
  *per_month = 0;
  if (months.size() < ref + 2)
    return false;
  const auto at_ref = static_cast<double>(months[ref].*field);
  for (std::size_t i = ref + 1; i < months.size(); ++i)
    *worst = std::max(*worst, std::abs(static_cast<double>(months[i].*field) / at_ref - 1));
  *per_month = (static_cast<double>(months.back().*field) - at_ref) /
               static_cast<double>(months.size() - 1 - ref);
  return *worst <= 0.10;
}

/// The first month (an index) that ends once every window has filled: the retention's
/// (`retain_days`), and the read side's days of figures, which fold their first month (the
/// first) once its next month's first day is `--figure-days` behind the newest day (day 31
/// + 92 = 123 by default: 3 May). Until then the kept days grow; after it they are 92 to 123
/// days at any time (whole months fold), 120-123 at a month's end.
std::size_t first_month_windows_full(const std::vector<year_figures>& months, int retain_days) {
  const int full =
      std::max(retain_days, month_days[0] + actors::period_book::default_keep_days + 1);
  std::size_t i = 0;
  while (i < months.size() && months[i].day < full)
    ++i;
  return i;
}

} // namespace

std::vector<row> run_year(const options& o, std::shared_ptr<const protocol::hierarchy> h,
                          const cast& people_) {
  std::optional<private_redis> own;
  persistence::store_options store;
  if (o.year_redis.empty()) {
    own.emplace();
    store.address = {"127.0.0.1", own->port()};
  } else if (auto at = persistence::redis_address::parse(o.year_redis)) {
    store.address = *at;
  } else {
    throw std::runtime_error("--redis needs HOST:PORT");
  }
  std::printf("\nyear: a year of the city in accelerated time, Redis at %s (emptied first), "
              "%d days from 2026-01-01, %zu cases a day, a directive a day at 09:00 to every "
              "grid of %zu counties, slices of %d simulated minutes\n",
              store.address.to_string().c_str(), o.year_days, o.year_cases_per_day, o.year_counties,
              o.year_slice_minutes);
  print_header();
  std::fflush(stdout);
  auto with = run_one(o, h, people_, store, true);
  auto without = run_one(o, h, people_, store, false);

  std::vector<row> rows;
  const std::string sec = "a year in minutes: " + std::to_string(o.year_days) + " days, " +
                          std::to_string(o.year_cases_per_day) +
                          " cases a day, a directive a day to the grids of " +
                          std::to_string(o.year_counties) + " counties";
  std::printf("\n");
  print_header();
  for (const auto& f : with.months)
    print_month("retention", f);
  for (const auto& f : without.months)
    print_month("baseline", f);
  for (auto* r : {&with, &without}) {
    const std::string name = r == &with ? "retention" : "baseline ";
    const auto& last = r->months.empty() ? year_figures{} : r->months.back();
    rows.push_back({sec, name + " hub RSS at the end", fmt("%.0f MiB", mib(last.rss)), "",
                    fmt("Redis %.0f MiB", mib(last.redis_used)) +
                        fmt(", of it the archive %.0f MiB", mib(last.archive_bytes))});
    rows.push_back({sec, name + " hot / archived cases at the end",
                    std::to_string(last.hot) + " / " + std::to_string(last.archived), "",
                    std::to_string(r->closed) + " closed, " + std::to_string(r->receipts) +
                        " receipts, " + std::to_string(r->refused) + " refused"});
    rows.push_back({sec, name + " restart: read the store", fmt("%.0f ms", r->restart.read_ms), "",
                    std::to_string(r->restart.cases) + " cases (" +
                        std::to_string(r->restart.open_cases) + " open), " +
                        std::to_string(r->restart.directives) + " directives, " +
                        std::to_string(r->restart.receipts) + " receipts, " +
                        std::to_string(r->restart.events) + " events, " +
                        std::to_string(r->restart.requests) + " requests"});
    rows.push_back(
        {sec, name + " restart: build the city", fmt("%.0f ms", r->restart.build_ms), "", ""});
    rows.push_back({sec, name + " restart: total",
                    fmt("%.0f ms", r->restart.read_ms + r->restart.build_ms), "",
                    "target <= 5,000 ms"});
    rows.push_back({sec, name + " run time", fmt("%.1f s", r->wall_s), "", ""});
  }
  std::vector<year_figures> hot_redis = with.months;
  for (auto& f : hot_redis)
    f.redis_used -= f.archive_bytes;
  const double restart_ms = with.restart.read_ms + with.restart.build_ms;
  // Two readings of "flat": from the month after the retention window (the second: the
  // reading before), and from the first month after every window filled (the figures' days
  // too); sim/bench/README.md, "A year in minutes".
  const std::size_t full = first_month_windows_full(with.months, o.year_retain_days);
  struct reading {
    const char* what;
    std::size_t ref;
  };
  const reading readings[] = {{"after the retention window", 1},
                              {"after every window filled", full}};
  for (const auto& [what, ref] : readings) {
    const bool enough = with.months.size() >= ref + 2;
    const auto flat_word = [&](bool ok) {
      return !enough ? "n/a (no month after the reference)" : ok ? "met" : "MISSED";
    };
    std::printf("\nverdict, %s (flat: every month from month %zu within +-10 %% of month %zu)\n",
                what, ref + 2, ref + 1);
    struct measure {
      const char* name;
      const std::vector<year_figures>* months;
      std::int64_t year_figures::*field;
    };
    const measure measures[] = {
        {"hub RSS with retention", &with.months, &year_figures::rss},
        {"jemalloc's live heap with retention", &with.months, &year_figures::live},
        {"Redis less the archive, with retention", &hot_redis, &year_figures::redis_used}};
    for (const auto& m : measures) {
      double worst = 0, per_month = 0;
      const bool ok = flat(*m.months, m.field, ref, &worst, &per_month);
      std::printf("  %-40s %s (worst %.1f %%; %+.1f MiB a month after month %zu)\n", m.name,
                  flat_word(ok), worst * 100, mib(static_cast<std::int64_t>(per_month)), ref + 1);
      const auto month = std::to_string(ref + 1);
      rows.push_back({sec, "verdict: " + std::string(m.name) + " flat, " + what, flat_word(ok), "",
                      fmt("worst month %.1f %% off month ", worst * 100) + month +
                          fmt(", %+.1f MiB a month", mib(static_cast<std::int64_t>(per_month)))});
    }
  }
  std::printf("  restart with retention <= 5 s:           %s (%.0f ms; baseline %.0f ms)\n",
              restart_ms <= 5000 ? "met" : "MISSED", restart_ms,
              without.restart.read_ms + without.restart.build_ms);
  rows.push_back({sec, "verdict: restart <= 5 s (retention)", restart_ms <= 5000 ? "met" : "MISSED",
                  "", fmt("%.0f ms", restart_ms)});
  return rows;
}

} // namespace hub::bench
