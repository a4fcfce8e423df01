// The people of hub-bench's year (year_people.hpp): who reports, who takes each step of a
// case's life, who issues, signs and completes the daily directive, and when.
//
// Cases are reported at random grids through the day and live the hub-sim scenario's lives
// (sim/load/scenario.hpp, its defaults: shares and delays): 60 % closed at the grid, 28 %
// escalated and closed at the village, 8 % at the township, 4 % whistled to one or two county
// departments, which report in and feed back; the township then resolves, rates each
// department (评哨) and closes. Every day at 09:00 the city leader issues a directive to every
// grid of the first N counties (all ten: the city-wide one), due in 24 hours; each grid's head
// signs it when its arrival event is seen (a city subscription) and completes it, except 1 %
// who sign and never complete (so it ends at its deadline).

#include "sim/bench/year_people.hpp"

#include "sim/bench/bench_wait.hpp"
#include "sim/load/scenario.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <queue>
#include <random>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace hub::bench {

using protocol::case_action;
using protocol::post;
using protocol::unit_kind;

namespace {

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

/// The people (year_people.hpp). Their state is guarded by one mutex: the main thread submits
/// what is due, answers and events come on the city's threads. Requests are submitted outside
/// the lock (a refusal may be answered on the spot).
class people final : public year_people, public std::enable_shared_from_this<people> {
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

  void watch_city() override {
    submit_now(cast_.city_leader, protocol::subscribe{h_.units.front().code, std::nullopt, false},
               {what::subscribe, 0, 0});
    wait_idle();
  }

  void run_slice(protocol::timestamp_ms from, protocol::timestamp_ms to) override {
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

  std::uint64_t reported() const override { return reported_.load(); }
  std::uint64_t refused() const override { return refused_.load(); }
  std::uint64_t closed() const override { return closed_.load(); }
  std::uint64_t receipts() const override { return receipts_.load(); }
  std::size_t in_walks() override {
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

} // namespace

std::shared_ptr<year_people> year_people::make(actors::city& c, const protocol::hierarchy& h,
                                               const cast& who, const options& o,
                                               std::uint64_t seed) {
  return std::make_shared<people>(c, h, who, o, seed);
}

} // namespace hub::bench
