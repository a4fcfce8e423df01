// Open311 GeoReport v2 under /open311/v2/: every endpoint and every refusal in both formats,
// over real HTTP to the in-process server and its real city (tests/gateway/gateway_fixture).

#include "gateway/open311/form.hpp"
#include "gateway/open311/render.hpp"
#include "gateway/open311/service.hpp"
#include "gateway/open311/webhook.hpp"
#include "tests/gateway/gateway_fixture.hpp"
#include "tests/support/http_receiver.hpp"
#include "tests/support/redis_server.hpp"

#include <regex>

namespace hub::testing {
namespace {

using namespace codes;
constexpr std::string_view key = "hotline-test-key-0001";
constexpr std::string_view form_type = "application/x-www-form-urlencoded";
const protocol::person_id hotline = person_at(city_centre, 1);

/// The small city with its grids spread out, so that coordinates pick one.
std::shared_ptr<const protocol::hierarchy> spread_city() {
  auto h = std::make_shared<protocol::hierarchy>(*make_small_city());
  double step = 0;
  for (auto& u : h->units)
    if (u.kind == protocol::unit_kind::grid) {
      u.lat = 32.0 + step;
      u.lon = 114.0 + step;
      step += 0.01;
    }
  h->index();
  return h;
}

class open311_test : public gateway_test {
protected:
  open311_test() {
    h_ = spread_city();
    auto cfg = defaults();
    city_ = std::make_unique<actors::city>(*sys_, h_, city_defaults());
    auto data = open311::catalogue::parse(
        *h_, "# test data\nservice\tsafety.dispute\tNeighbours quarrel\tdispute,noise\n"
             "address\tA-1\t" +
                 std::to_string(grid_b2_1) + "\t浉河区 北京路 12号\n");
    auto keys = open311::key_table::parse(*h_, std::string(key) + "\t" + std::to_string(hotline));
    service_ = std::make_shared<open311::service>(*city_, std::move(data), std::move(keys));
    service_->start();
    cfg.open311 = service_;
    server_ = std::make_unique<gateway::server>(*city_, std::move(cfg));
    server_->start();
  }
  ~open311_test() override {
    server_.reset();
    service_.reset();
  }

  http_reply get(const std::string& path) {
    return http_request(port(), "GET", "/open311/v2/" + path);
  }
  http_reply post(const std::string& fmt, const std::string& body) {
    return http_request(port(), "POST", "/open311/v2/requests." + fmt, body, form_type);
  }
  static std::string good(std::string extra = {}) {
    return "api_key=" + std::string(key) +
           "&service_code=safety.dispute&lat=32.041&long=114.041&description=two+neighbours" +
           extra;
  }
  /// The service_request_id in a create answer, or "" when there is none.
  static std::string id_in(const std::string& body) {
    std::smatch m;
    static const std::regex json(R"re("service_request_id":"(\d+)")re");
    static const std::regex xml(R"re(<service_request_id>(\d+)</service_request_id>)re");
    if (std::regex_search(body, m, json) || std::regex_search(body, m, xml))
      return m[1];
    return {};
  }
  std::uint64_t last_seq() {
    auto r = http_request(port(), "GET", "/healthz");
    std::smatch m;
    static const std::regex seq(R"re("bus_last_seq":(\d+))re");
    EXPECT_TRUE(std::regex_search(r.body, m, seq)) << r.body;
    return std::stoull(m[1]);
  }
  /// Waits until servicerequestupdates lists an update for `id` whose text contains `what`.
  std::string wait_update(const std::string& id, const std::string& what) {
    auto until = std::chrono::steady_clock::now() + patience;
    std::string body;
    while (std::chrono::steady_clock::now() < until) {
      body = get("servicerequestupdates.json").body;
      auto at = body.find("\"service_request_id\":\"" + id + "\"");
      while (at != std::string::npos) {
        auto end = body.find('}', at);
        if (body.substr(at, end - at).find(what) != std::string::npos)
          return body;
        at = body.find("\"service_request_id\":\"" + id + "\"", end);
      }
      // Bounded polling of an HTTP resource: each round trip is the wait.
    }
    ADD_FAILURE() << "no update '" << what << "' for " << id << " in " << body;
    return body;
  }

  std::shared_ptr<open311::service> service_;
};

// -- units ----------------------------------------------------------------------------------

TEST(open311_form, decodes_pairs_plus_and_escapes_and_refuses_bad_ones) {
  auto f = open311::parse_form("a=1&b=x+y%20z&&c&d=%E4%BF%A1");
  ASSERT_TRUE(f);
  ASSERT_EQ(f->size(), 4u);
  EXPECT_EQ((*f)[1].second, "x y z");
  EXPECT_EQ((*f)[2].first, "c");
  EXPECT_EQ((*f)[3].second, "信");
  EXPECT_FALSE(open311::parse_form("a=%zz"));
  EXPECT_FALSE(open311::parse_form("a=%4"));
  EXPECT_FALSE(open311::parse_form("a=%ff%fe")); // not UTF-8
  EXPECT_FALSE(open311::parse_form("a=%00"));
}

TEST(open311_time, writes_and_reads_iso_8601_at_plus_eight) {
  EXPECT_EQ(open311::iso_time(0), "1970-01-01T08:00:00+08:00");
  EXPECT_EQ(open311::parse_iso_time("1970-01-01T08:00:00+08:00"), 0);
  EXPECT_EQ(open311::parse_iso_time("2026-11-25T02:00:00.5Z"),
            *open311::parse_iso_time("2026-11-25T10:00:00+08:00") + 500);
  for (auto bad : {"2026-11-25", "2026-11-25T10:00:00", "2026-02-30T10:00:00Z",
                   "2026-11-25T24:00:00Z", "2026-11-25T10:00:00+8", "x"})
    EXPECT_FALSE(open311::parse_iso_time(bad)) << bad;
}

TEST(open311_files, keys_and_data_refuse_bad_lines_naming_them) {
  auto h = make_small_city();
  auto refused = [](auto f) {
    try {
      f();
    } catch (const open311::data_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(refused([&] { open311::key_table::parse(*h, "short\t41150099901"); }),
            "line 1: a key is 16..128 of A-Z a-z 0-9 _ -");
  EXPECT_EQ(refused([&] {
              open311::key_table::parse(*h, "#\nabcdefghijklmnopq\t" +
                                                std::to_string(person_at(city_centre, 2)));
            }),
            "line 2: person 41150099902 is a centre_operator, not a hotline_operator");
  EXPECT_EQ(refused([&] { open311::key_table::parse(*h, "abcdefghijklmnopq\t999"); }),
            "line 1: no person 999 in the hierarchy");
  EXPECT_EQ(refused([&] { open311::catalogue::parse(*h, "service\tno.such\td\tk"); }),
            "line 1: no case category 'no.such' in the hierarchy");
  EXPECT_EQ(refused([&] { open311::catalogue::parse(*h, "address\tA\t411502001\tx"); }),
            "line 1: grid: no grid 411502001 in the hierarchy");
  EXPECT_EQ(refused([&] { open311::catalogue::parse(*h, "street\tA"); }),
            "line 1: unknown record 'street' (service or address)");
}

TEST(open311_webhook, the_url_is_http_host_port_and_path) {
  auto t = open311::webhook_target::parse("http://127.0.0.1:9311/hotline/updates?k=1");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->host, "127.0.0.1");
  EXPECT_EQ(t->port, "9311");
  EXPECT_EQ(t->path, "/hotline/updates?k=1");
  auto bare = open311::webhook_target::parse("http://hotline.example");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->port, "80");
  EXPECT_EQ(bare->path, "/");
  for (auto bad : {"https://hotline.example/", "ftp://x/", "http://", "http://:80/", "http://x:0/",
                   "http://x:70000/", "http://x:8a/", "http://user@x/"})
    EXPECT_FALSE(open311::webhook_target::parse(bad)) << bad;
}

/// An outbox in memory: the log's entries, and the cursor with every value it was moved to.
class memory_outbox final : public open311::outbox {
public:
  explicit memory_outbox(std::vector<entry> log)
    : log_(std::move(log)) {}
  std::optional<std::uint64_t> delivered() override {
    std::lock_guard lock(mutex_);
    return cursor_;
  }
  bool mark_delivered(std::uint64_t seq) override {
    {
      std::lock_guard lock(mutex_);
      cursor_ = seq;
      marks_.push_back(seq);
    }
    moved_.notify_all();
    return true;
  }
  std::optional<batch> after(std::uint64_t seq) override {
    batch b; // two entries at a time, like journal batches
    for (const auto& e : log_)
      if (e.seq > seq && b.entries.size() < 2)
        b.entries.push_back(e);
    return b;
  }
  /// Waits until the cursor reached `seq`; the values it took on the way.
  std::vector<std::uint64_t> wait_cursor(std::uint64_t seq) {
    std::unique_lock lock(mutex_);
    moved_.wait_for(lock, patience, [&] { return cursor_ >= seq; });
    return marks_;
  }

private:
  const std::vector<entry> log_;
  std::mutex mutex_;
  std::condition_variable moved_;
  std::uint64_t cursor_ = 0;
  std::vector<std::uint64_t> marks_;
};

// The webhook posts the hotline cases' updates after the cursor, as servicerequestupdates.json
// writes them; a refused post is sent again (same updates) until answered 2xx; only then does
// the cursor move, past the other units' events too.
TEST(open311_webhook, posts_hotline_updates_retries_refusals_and_moves_the_cursor_after) {
  auto h = make_small_city();
  const auto hotline_case = actors::make_id(h->index_of(codes::city_centre), 7);
  const auto grid_case = actors::make_id(h->index_of(codes::grid_a1_1), 3);
  auto event = [](std::uint64_t seq, protocol::case_id id, protocol::case_action a,
                  protocol::case_state st) {
    protocol::case_event e;
    e.seq = seq;
    e.id = id;
    e.action = a;
    e.state = st;
    e.at = 1'795'572'000'000;
    e.note = seq == 4 ? "done" : "";
    return open311::outbox::entry{seq, e};
  };
  using A = protocol::case_action;
  using S = protocol::case_state;
  std::vector<open311::outbox::entry> log = {
      event(1, hotline_case, A::report, S::reported),
      event(2, grid_case, A::report, S::reported), // not a hotline case: not posted
      event(3, hotline_case, A::triage, S::triaged),
      event(4, hotline_case, A::close, S::closed),
      event(5, grid_case, A::sign, S::signed_for),
  };
  auto port = static_cast<std::uint16_t>(free_port());
  http_receiver hotline_side{port, 2, 503}; // refuses the first two posts
  auto box = std::make_unique<memory_outbox>(log);
  auto* outbox = box.get();
  open311::webhook_options o;
  o.url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
  o.retry_min = std::chrono::milliseconds(5);
  o.retry_max = std::chrono::milliseconds(20);
  o.poll = std::chrono::milliseconds(5);
  open311::webhook hook{*h, std::move(box), o};
  hook.start();
  auto marks = outbox->wait_cursor(5);
  hook.stop();
  // Batches of two entries: [1,2], [3,4], [5] (nothing to post; the cursor moves anyway).
  EXPECT_EQ(marks, (std::vector<std::uint64_t>{2, 4, 5}));
  EXPECT_EQ(hotline_side.requests(), 4u); // two refused, two answered
  auto bodies = hotline_side.bodies();
  ASSERT_EQ(bodies.size(), 2u);
  const auto id = std::to_string(hotline_case);
  EXPECT_EQ(bodies[0], "[{\"update_id\":\"1\",\"service_request_id\":\"" + id +
                           "\",\"status\":\"open\",\"updated_datetime\":\"2026-11-25T10:"
                           "00:00+08:00\",\"description\":\"report\"}]\n");
  EXPECT_NE(bodies[1].find("\"update_id\":\"3\""), std::string::npos) << bodies[1];
  EXPECT_NE(bodies[1].find("\"update_id\":\"4\",\"service_request_id\":\"" + id +
                           "\",\"status\":\"closed\""),
            std::string::npos)
      << bodies[1];
  EXPECT_NE(bodies[1].find("\"description\":\"close: done\""), std::string::npos);
  auto st = hook.stats();
  EXPECT_EQ(st.delivered, 3u);
  EXPECT_EQ(st.failures, 2u);
  EXPECT_EQ(st.cursor, 5u);
}

// -- services -------------------------------------------------------------------------------

TEST_F(open311_test, services_in_both_formats) {
  auto x = get("services.xml");
  EXPECT_EQ(x.status, 200);
  EXPECT_EQ(x.content_type, "text/xml; charset=utf-8");
  EXPECT_NE(x.body.find("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<services><service>"
                        "<service_code>safety.dispute</service_code><service_name>邻里纠纷"
                        "</service_name><description>Neighbours quarrel</description>"),
            std::string::npos)
      << x.body;
  EXPECT_NE(x.body.find("<keywords>dispute,noise</keywords><group>module 1</group>"),
            std::string::npos);
  EXPECT_EQ(get("services").body, x.body); // XML is the default
  auto j = get("services.json");
  EXPECT_EQ(j.status, 200);
  EXPECT_EQ(j.content_type, "application/json; charset=utf-8");
  EXPECT_EQ(j.body, "[{\"service_code\":\"safety.dispute\",\"service_name\":\"邻里纠纷\","
                    "\"description\":\"Neighbours quarrel\",\"metadata\":true,\"type\":"
                    "\"realtime\",\"keywords\":\"dispute,noise\",\"group\":\"module 1\"}]\n");
}

TEST_F(open311_test, service_definition_maps_to_the_module_and_the_departments) {
  auto j = get("services/safety.dispute.json");
  EXPECT_EQ(j.status, 200);
  EXPECT_NE(j.body.find("\"module\":\"m1\",\"departments\":[{\"code\":\"411502901\""),
            std::string::npos)
      << j.body;
  EXPECT_NE(j.body.find("\"code\":\"411503901\""), std::string::npos); // whole city
  EXPECT_NE(j.body.find("\"code\":\"ticket_id\""), std::string::npos);
  // jurisdiction_id narrows to a county's departments.
  auto county = get("services/safety.dispute.json?jurisdiction_id=411502");
  EXPECT_NE(county.body.find("411502901"), std::string::npos);
  EXPECT_EQ(county.body.find("411503901"), std::string::npos) << county.body;
  auto x = get("services/safety.dispute.xml");
  EXPECT_NE(x.body.find("<service_definition><service_code>safety.dispute</service_code>"),
            std::string::npos);
  EXPECT_NE(x.body.find("<departments><department><code>411502901</code>"), std::string::npos);
}

TEST_F(open311_test, unknown_service_resource_and_jurisdiction_are_404_in_both_formats) {
  auto j = get("services/no.such.json");
  EXPECT_EQ(j.status, 404);
  EXPECT_EQ(j.body, "[{\"code\":404,\"description\":\"no service 'no.such'\"}]\n");
  auto x = get("services/no.such.xml");
  EXPECT_EQ(x.status, 404);
  EXPECT_EQ(x.content_type, "text/xml; charset=utf-8");
  EXPECT_EQ(x.body, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<errors><error><code>404</code>"
                    "<description>no service 'no.such'</description></error></errors>\n");
  EXPECT_EQ(get("services.json?jurisdiction_id=411502001").status, 404); // a township
  EXPECT_EQ(get("services.xml?jurisdiction_id=nope").status, 404);
  EXPECT_EQ(get("services.json?jurisdiction_id=411500").status, 200);
  EXPECT_EQ(get("nothing.json").status, 404);
  EXPECT_EQ(get("services.json?a=%zz").status, 400);
  auto del = http_request(port(), "DELETE", "/open311/v2/services.json");
  EXPECT_EQ(del.status, 405);
  EXPECT_NE(del.body.find("\"code\":405"), std::string::npos);
}

// -- create ---------------------------------------------------------------------------------

TEST_F(open311_test, a_post_is_located_and_reported_as_a_hotline_case) {
  for (std::string fmt : {"json", "xml"}) {
    auto r = post(fmt, good("&attribute[ticket_id]=T-" + fmt));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type,
              fmt == "json" ? "application/json; charset=utf-8" : "text/xml; charset=utf-8");
    auto id = id_in(r.body);
    ASSERT_FALSE(id.empty()) << r.body;
    // 32.041,114.041 is nearest the fifth grid of the spread city: b1_1.
    EXPECT_NE(r.body.find("located to grid " + std::to_string(grid_b1_1)), std::string::npos)
        << r.body;
    EXPECT_NE(r.body.find("township " + std::to_string(town_b)), std::string::npos);
    // A hotline case: made at the city's centre.
    EXPECT_EQ(h_->units[actors::maker_of(std::stoull(id))].code, city_centre);
    wait_update(id, "\"status\":\"open\",");
  }
}

TEST_F(open311_test, the_address_table_locates_a_post) {
  auto by_id =
      post("json", "api_key=" + std::string(key) + "&service_code=safety.dispute&address_id=A-1");
  EXPECT_EQ(by_id.status, 200) << by_id.body;
  EXPECT_NE(by_id.body.find("grid " + std::to_string(grid_b2_1)), std::string::npos);
  auto by_text =
      post("xml", "api_key=" + std::string(key) + "&service_code=safety.dispute&address_string=" +
                      "%E6%B5%89%E6%B2%B3%E5%8C%BA+%E5%8C%97%E4%BA%AC%E8%B7%AF+12%E5%8F%B7");
  EXPECT_EQ(by_text.status, 200) << by_text.body;
  EXPECT_NE(by_text.body.find("grid " + std::to_string(grid_b2_1)), std::string::npos);
}

TEST_F(open311_test, the_same_ticket_gives_the_same_request_and_creates_nothing) {
  auto first = post("json", good("&attribute[ticket_id]=SR-42"));
  ASSERT_EQ(first.status, 200) << first.body;
  auto seq = last_seq();
  auto again = post("xml", good("&attribute[ticket_id]=SR-42"));
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(id_in(again.body), id_in(first.body));
  EXPECT_EQ(last_seq(), seq); // no new event: nothing was created
  auto other = post("json", good("&attribute[ticket_id]=SR-42&email=x%40y.cn"));
  EXPECT_EQ(other.status, 400);
  EXPECT_NE(other.body.find("posted before with other content"), std::string::npos);
  EXPECT_EQ(last_seq(), seq);
}

TEST_F(open311_test, bad_posts_are_refused_in_both_formats_and_change_nothing) {
  auto seq = last_seq();
  struct bad_case {
    std::string body;
    int status;
    std::string says;
  };
  const std::string k = "api_key=" + std::string(key);
  std::vector<bad_case> cases = {
      {"service_code=safety.dispute&lat=32&long=114", 403, "api_key is missing"},
      {"api_key=wrong-key-0000000000&service_code=safety.dispute&lat=32&long=114", 403,
       "api_key is not valid"},
      {k + "&service_code=no.such&lat=32&long=114", 404, "no service 'no.such'"},
      {k + "&lat=32&long=114", 400, "service_code is missing"},
      {k + "&service_code=safety.dispute", 400, "a location is required"},
      {k + "&service_code=safety.dispute&lat=32", 400, "long is missing"},
      {k + "&service_code=safety.dispute&lat=91&long=114", 400, "lat: not a latitude"},
      {k + "&service_code=safety.dispute&lat=32&long=abc", 400, "long: not a longitude"},
      {k + "&service_code=safety.dispute&address_id=nope", 400, "address_id: no address"},
      {k + "&service_code=safety.dispute&address_string=somewhere", 400, "not in the address"},
      {k + "&service_code=safety.dispute&lat=32&long=114&description=" + std::string(4001, 'x'),
       400, "description: longer than 4000 bytes"},
      {k + "&service_code=safety.dispute&lat=32&long=114&colour=red", 400,
       "unknown field 'colour'"},
      {k + "&service_code=safety.dispute&lat=32&long=114&attribute[urgent]=yes", 400,
       "attribute[urgent]"},
      {k + "&service_code=safety.dispute&address_id=A-1&jurisdiction_id=411503", 400,
       "outside jurisdiction 411503"},
      {k + "&service_code=safety.dispute&lat=32&long=114&jurisdiction_id=411503", 400,
       "lies in no grid of the jurisdiction"},
      {k + "&service_code=safety.dispute&lat=32&long=114&jurisdiction_id=9", 404,
       "no jurisdiction"},
      {k + "&service_code=safety.dispute&description=%E4%ZZ", 400, "not valid form encoding"},
  };
  for (std::string fmt : {"json", "xml"})
    for (const auto& c : cases) {
      auto r = post(fmt, c.body);
      EXPECT_EQ(r.status, c.status) << c.body << ": " << r.body;
      EXPECT_NE(r.body.find(c.says), std::string::npos) << c.body << ": " << r.body;
      EXPECT_NE(r.body.find(fmt == "json" ? "[{\"code\":" + std::to_string(c.status)
                                          : "<errors><error><code>" + std::to_string(c.status)),
                std::string::npos)
          << r.body;
    }
  auto wrong_type = http_request(port(), "POST", "/open311/v2/requests.json", good(), "text/plain");
  EXPECT_EQ(wrong_type.status, 400);
  EXPECT_EQ(last_seq(), seq);
  EXPECT_EQ(get("services.json").status, 200); // still up
}

// -- updates --------------------------------------------------------------------------------

TEST_F(open311_test, updates_list_each_step_of_a_hotline_case_until_it_is_closed) {
  auto r = post("json", good("&attribute[ticket_id]=U-1"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto id = std::stoull(id_in(r.body));
  // The city centre's operator triages and dispatches it; the hotline closes it.
  auto centre_op = connect(person_at(city_centre, 2));
  auto ok = [](const protocol::server_message& m) {
    return std::holds_alternative<protocol::ack>(m);
  };
  EXPECT_TRUE(ok(centre_op->request(msg(act(id, protocol::case_action::triage)))));
  auto dispatch = act(id, protocol::case_action::dispatch);
  dispatch.unit = town_b;
  EXPECT_TRUE(ok(centre_op->request(msg(dispatch))));
  auto head = connect(person_at(town_b, 1));
  for (auto a :
       {protocol::case_action::sign, protocol::case_action::start, protocol::case_action::resolve})
    EXPECT_TRUE(ok(head->request(msg(act(id, a)))));
  auto operator_ = connect(hotline);
  EXPECT_TRUE(ok(operator_->request(msg(act(id, protocol::case_action::close, "done")))));
  auto body = wait_update(std::to_string(id), "\"status\":\"closed\"");
  // Read back: closed, with the latest note, held where it was closed.
  auto read = get("requests/" + std::to_string(id) + ".json?api_key=" + std::string(key));
  EXPECT_EQ(read.status, 200) << read.body;
  EXPECT_NE(read.body.find("\"status\":\"closed\",\"status_notes\":\"done\""), std::string::npos)
      << read.body;
  EXPECT_NE(read.body.find("\"agency_responsible\":\"" + h_->find_unit(town_b)->name + "\""),
            std::string::npos)
      << read.body;
  auto closed = get("requests.json?status=closed&api_key=" + std::string(key));
  EXPECT_NE(closed.body.find("\"service_request_id\":\"" + std::to_string(id) + "\""),
            std::string::npos)
      << closed.body;
  auto open = get("requests.json?status=open&api_key=" + std::string(key));
  EXPECT_EQ(open.body.find("\"service_request_id\":\"" + std::to_string(id) + "\""),
            std::string::npos)
      << open.body;
  EXPECT_NE(body.find("\"description\":\"close: done\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"description\":\"dispatch: note\""), std::string::npos) << body;
  auto x = get("servicerequestupdates.xml");
  EXPECT_NE(x.body.find("<service_request_updates><request_update><update_id>"), std::string::npos)
      << x.body;
  // A window that ends before the case: none of its updates.
  auto none = get("servicerequestupdates.json?start_date=2000-01-01T00:00:00%2B08:00&end_date="
                  "2000-01-02T00:00:00Z");
  EXPECT_EQ(none.status, 200);
  EXPECT_EQ(none.body, "[]\n");
}

// -- reads --------------------------------------------------------------------------------

TEST_F(open311_test, a_request_reads_back_in_both_formats) {
  auto r = post("json", good("&attribute[ticket_id]=R-1&media_url=http%3A%2F%2Fimg.example%2F1.jpg"
                             "&address_string=%E5%8C%97%E4%BA%AC%E8%B7%AF"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto id = id_in(r.body);
  const std::string k = "api_key=" + std::string(key);
  auto j = get("requests/" + id + ".json?" + k);
  EXPECT_EQ(j.status, 200) << j.body;
  EXPECT_EQ(j.content_type, "application/json; charset=utf-8");
  EXPECT_EQ(j.body.rfind("[{\"service_request_id\":\"" + id + "\",\"status\":\"open\"", 0), 0u)
      << j.body;
  for (std::string want :
       {std::string("\"service_name\":\"邻里纠纷\",\"service_code\":\"safety.dispute\""),
        std::string("\"description\":\"two neighbours\\nmedia_url: http://img.example/1.jpg\""),
        "\"agency_responsible\":\"" + h_->find_unit(city_centre)->name + "\"",
        std::string("\"requested_datetime\":\"20"), std::string("+08:00\",\"updated_datetime"),
        std::string("\"address\":\"北京路\",\"lat\":32.041000,\"long\":114.041000"),
        std::string("\"media_url\":\"http://img.example/1.jpg\"")})
    EXPECT_NE(j.body.find(want), std::string::npos) << want << " in " << j.body;
  auto x = get("requests/" + id + ".xml?" + k);
  EXPECT_EQ(x.status, 200);
  EXPECT_NE(x.body.find("<service_requests><request><service_request_id>" + id +
                        "</service_request_id><status>open</status>"),
            std::string::npos)
      << x.body;
  // The list: the standard's filters.
  auto all = get("requests.json?" + k);
  EXPECT_NE(all.body.find("\"service_request_id\":\"" + id + "\""), std::string::npos);
  auto other = post("json", good("&attribute[ticket_id]=R-2"));
  auto id2 = id_in(other.body);
  auto both = get("requests.xml?service_request_id=" + id + "," + id2 + "&" + k);
  EXPECT_NE(both.body.find("<service_request_id>" + id + "</service_request_id>"),
            std::string::npos);
  EXPECT_NE(both.body.find("<service_request_id>" + id2 + "</service_request_id>"),
            std::string::npos)
      << both.body;
  auto one = get("requests.json?service_request_id=" + id2 + "&" + k);
  EXPECT_EQ(one.body.find("\"service_request_id\":\"" + id + "\""), std::string::npos);
  EXPECT_EQ(one.body.substr(0, 2), "[{"); // a list, with one entry
  auto by_code = get("requests.json?service_code=safety.dispute&" + k);
  EXPECT_NE(by_code.body.find(id2), std::string::npos);
  auto past =
      get("requests.json?end_date=2000-01-01T00:00:00Z&start_date=1999-01-01T00:00:00Z&" + k);
  EXPECT_EQ(past.status, 200);
  EXPECT_EQ(past.body, "[]\n");
}

TEST_F(open311_test, bad_reads_are_refused_in_both_formats) {
  // A case the hotline did not make: the grid's own.
  auto worker = connect(person_at(grid_a1_1, 2));
  auto reply = worker->request(msg(report_at(grid_a1_1)));
  ASSERT_TRUE(std::holds_alternative<protocol::ack>(reply)) << describe(reply);
  const auto grid_case = std::to_string(std::get<protocol::ack>(reply).case_ref);
  const std::string k = "api_key=" + std::string(key);
  struct bad_read {
    std::string path;
    int status;
    std::string says;
  };
  std::vector<bad_read> cases = {
      {"requests/1.{f}", 403, "api_key is missing"},
      {"requests.{f}?api_key=wrong-key-0000000000", 403, "api_key is not valid"},
      {"requests/" + grid_case + ".{f}?" + k, 403, "is not the hotline's"},
      {"requests/99999.{f}?" + k, 404, "no request '99999'"},
      {"requests/abc.{f}?" + k, 404, "no request 'abc'"},
      {"requests.{f}?status=maybe&" + k, 400, "status: open or closed"},
      {"requests.{f}?service_code=no.such&" + k, 404, "no service 'no.such'"},
      {"requests.{f}?start_date=yesterday&" + k, 400, "start_date: not an ISO 8601"},
      {"requests.{f}?start_date=2026-01-02T00:00:00Z&end_date=2026-01-01T00:00:00Z&" + k, 400,
       "start_date is after end_date"},
      {"requests.{f}?service_request_id=1,x&" + k, 400, "service_request_id"},
      {"requests.{f}?jurisdiction_id=9&" + k, 404, "no jurisdiction"},
  };
  for (std::string fmt : {"json", "xml"})
    for (auto c : cases) {
      c.path.replace(c.path.find("{f}"), 3, fmt);
      auto r = get(c.path);
      EXPECT_EQ(r.status, c.status) << c.path << ": " << r.body;
      EXPECT_NE(r.body.find(c.says), std::string::npos) << c.path << ": " << r.body;
      EXPECT_NE(r.body.find(fmt == "json" ? "[{\"code\":" + std::to_string(c.status)
                                          : "<errors><error><code>" + std::to_string(c.status)),
                std::string::npos)
          << r.body;
    }
  // A list leaves out what it may not show.
  auto mixed = get("requests.json?service_request_id=" + grid_case + ",99999&" + k);
  EXPECT_EQ(mixed.status, 200);
  EXPECT_EQ(mixed.body, "[]\n");
}

TEST_F(open311_test, updates_refuse_bad_dates_in_both_formats) {
  for (std::string fmt : {"json", "xml"}) {
    auto bad = get("servicerequestupdates." + fmt + "?start_date=yesterday");
    EXPECT_EQ(bad.status, 400);
    EXPECT_NE(bad.body.find("start_date: not an ISO 8601"), std::string::npos) << bad.body;
    auto end = get("servicerequestupdates." + fmt + "?end_date=2026-13-01T00:00:00Z");
    EXPECT_EQ(end.status, 400);
    auto order = get("servicerequestupdates." + fmt +
                     "?start_date=2026-01-02T00:00:00Z&end_date=2026-01-01T00:00:00Z");
    EXPECT_EQ(order.status, 400);
    EXPECT_NE(order.body.find("start_date is after end_date"), std::string::npos);
  }
}

} // namespace
} // namespace hub::testing
