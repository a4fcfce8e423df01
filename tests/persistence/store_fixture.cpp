#include "tests/persistence/store_fixture.hpp"

#include "protocol/json.hpp"

namespace hub::testing {

store_test::store_test()
  : h_(make_small_city()) {}

store_test::~store_test() { stop_city(); }

void store_test::SetUp() { ASSERT_TRUE(redis_.start()) << redis_.why(); }

persistence::store_options store_test::store_options() const {
  persistence::store_options o;
  o.address = redis_.address();
  if (tune_store)
    tune_store(o);
  return o;
}

protocol::unit_code store_test::maker(std::uint64_t id) const {
  return h_->units.at(actors::maker_of(id)).code;
}

long long store_test::cases_made_at(persistence::redis_connection& spy,
                                    protocol::unit_code unit) const {
  long long n = 0;
  for (std::uint32_t b = 0; b < persistence::keys::case_buckets; ++b) {
    auto r = run(spy, {"HKEYS", persistence::keys::case_bucket(b)});
    if (!r || r->type != REDIS_REPLY_ARRAY) {
      ADD_FAILURE() << "HKEYS " << persistence::keys::case_bucket(b) << ": " << spy.error();
      return -1;
    }
    for (std::size_t i = 0; i < r->elements; ++i)
      n += maker(std::stoull(std::string(persistence::text_of(r->element[i])))) == unit ? 1 : 0;
  }
  return n;
}

bool store_test::start_city(protocol::timestamp_ms wall) {
  auto loaded = persistence::recover(*h_, store_options());
  if (auto* why = std::get_if<std::string>(&loaded)) {
    ADD_FAILURE() << "recovery failed: " << *why;
    return false;
  }
  recovered_ = std::get<persistence::recovered>(std::move(loaded));
  cfg_ = std::make_unique<caf::actor_system_config>();
  cfg_->set("scheduler.policy", caf::atom("testing"));
  cfg_->set("logger.console", caf::atom("none"));
  sys_ = std::make_unique<caf::actor_system>(*cfg_);
  sched_ = &dynamic_cast<caf::scheduler::test_coordinator&>(sys_->scheduler());
  actors::city_options opts;
  opts.wall_now = wall;
  opts.flush_interval = std::chrono::milliseconds(1000);
  opts.snapshot = recovered_.snapshot;
  if (retain) {
    archive_ = std::make_shared<persistence::case_archive_store>(store_options());
    opts.archive = archive_;
    opts.retain.cases = opts.retain.directives = *retain;
  }
  opts.retain.figure_days = figure_days;
  auto last_seq = recovered_.snapshot->last_seq;
  auto epoch = recovered_.epoch;
  opts.make_store = [this, last_seq, epoch](std::shared_ptr<actors::bus> events) {
    journal_ = std::make_shared<persistence::redis_journal>(std::move(events), h_, store_options(),
                                                            last_seq, epoch);
    return journal_;
  };
  city_ = std::make_unique<actors::city>(*sys_, h_, opts);
  settle(); // the units adopt their records
  return true;
}

void store_test::stop_city() {
  if (!city_)
    return;
  settle();
  city_.reset();
  while (sched_->try_run_once()) {}
  journal_.reset();
  archive_.reset();
  sys_.reset(); // the last unit actors go, and with them the journal (its writer stops)
  cfg_.reset();
  sched_ = nullptr;
}

bool store_test::settle() {
  bool stored = true;
  for (;;) {
    bool ran = false;
    while (sched_->try_run_once())
      ran = true;
    stored = journal_->drain();
    if (archive_ && archive_->drain())
      ran = true; // its answers are messages to run
    if (!ran)
      return stored;
  }
}

void store_test::advance(std::chrono::milliseconds d) {
  sched_->advance_time(d);
  settle();
}

protocol::server_message store_test::act(protocol::person_id who, protocol::client_body body,
                                         const std::shared_ptr<waiting_recorder>& to,
                                         std::uint64_t id) {
  auto* p = h_->find_person(who);
  EXPECT_NE(p, nullptr) << "no person " << who;
  if (p == nullptr)
    return protocol::error{id, protocol::errc::internal, "no such person"};
  if (id == 0)
    id = next_request_++;
  auto sink = to ? to : replies_;
  city_->submit(actors::principal::of(*p), {id, std::move(body)}, sink);
  settle();
  auto r = sink->reply_to(id);
  EXPECT_TRUE(r.has_value()) << "no reply to request " << id;
  return r.value_or(protocol::error{id, protocol::errc::internal, "no reply"});
}

protocol::case_id store_test::report(protocol::person_id who, protocol::unit_code unit,
                                     std::string title) {
  protocol::case_report r;
  r.unit = unit;
  r.category = "safety.dispute";
  r.title = std::move(title);
  auto reply = act(who, r);
  auto* a = std::get_if<protocol::ack>(&reply);
  EXPECT_NE(a, nullptr) << describe(reply);
  return a != nullptr ? a->case_ref : 0;
}

protocol::server_message store_test::step(protocol::person_id who, protocol::case_id id,
                                          protocol::case_action action, protocol::case_act extra) {
  extra.id = id;
  extra.action = action;
  if (extra.note.empty())
    extra.note = "note";
  return act(who, extra);
}

void store_test::escalate_to_township(protocol::case_id id, protocol::unit_code grid,
                                      protocol::unit_code village, protocol::unit_code town) {
  using protocol::case_action;
  EXPECT_ACK(step(person_at(grid, 2), id, case_action::sign));
  EXPECT_ACK(step(person_at(grid, 1), id, case_action::escalate));
  EXPECT_ACK(step(person_at(village, 1), id, case_action::sign));
  EXPECT_ACK(step(person_at(village, 1), id, case_action::escalate));
  EXPECT_ACK(step(person_at(town, 2), id, case_action::sign));
}

void store_test::whistle_through(protocol::case_id id, protocol::unit_code town,
                                 const std::vector<protocol::unit_code>& departments) {
  using protocol::case_action;
  protocol::case_act whistle;
  whistle.departments = departments;
  EXPECT_ACK(step(person_at(town, 4), id, case_action::propose_whistle, whistle));
  EXPECT_ACK(step(person_at(town, 1), id, case_action::approve_whistle));
  for (auto dept : departments) {
    EXPECT_ACK(step(person_at(dept, 2), id, case_action::report_in));
    EXPECT_ACK(step(person_at(dept, 1), id, case_action::feedback));
  }
}

std::vector<std::string> store_test::answers_to(
    const std::vector<std::pair<protocol::person_id, protocol::query>>& questions) {
  std::vector<std::string> out;
  for (const auto& [who, q] : questions) {
    auto reply = act(who, q);
    if (auto* r = std::get_if<protocol::result>(&reply))
      r->id = r->seq = 0;
    out.push_back(protocol::to_json(reply));
  }
  return out;
}

actors::unit_state& store_test::state_of(protocol::unit_code code) {
  auto* a = caf::actor_cast<caf::abstract_actor*>(city_->actor_of(code));
  auto* s = dynamic_cast<actors::unit_actor::stateful_pointer<actors::unit_state>>(a);
  if (s == nullptr)
    throw std::logic_error("no unit actor " + std::to_string(code));
  return s->state;
}

const actors::case_record* store_test::find_case(protocol::unit_code holder, protocol::case_id id) {
  auto& cases = state_of(holder).cases_;
  auto i = cases.find(id);
  return i == cases.end() ? nullptr : &i->second;
}

} // namespace hub::testing
