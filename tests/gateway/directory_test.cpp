#include "gateway/directory.hpp"

#include "tests/gateway/gateway_fixture.hpp"

// GET /api/hierarchy over real HTTP: the token's person sees the subtree they may watch and
// nothing else; no token, or a bad one, is a 401 with the upgrade's reasons.

namespace hub::testing {
namespace {

using namespace codes;

class directory_test : public gateway_test {
protected:
  http_reply get_for(protocol::person_id who) {
    return http_request(port(), "GET", "/api/hierarchy?token=" + token_for(who));
  }
  /// The compact entry the body gives unit `code`, "[code,"kind",parent," (name and coordinates
  /// follow).
  static std::string entry(protocol::unit_code code, std::string_view kind,
                           protocol::unit_code parent) {
    return "[" + std::to_string(code) + ",\"" + std::string(kind) + "\"," + std::to_string(parent) +
           ",";
  }
};

TEST_F(directory_test, a_township_head_gets_the_township_its_villages_and_grids_only) {
  auto r = get_for(person_at(town_a, 1));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  const auto& b = r.body;
  EXPECT_NE(b.find("\"me\":{\"person\":\"" + std::to_string(person_at(town_a, 1)) +
                   "\",\"name\":\"person " + std::to_string(person_at(town_a, 1)) +
                   "\",\"post\":\"township_head\",\"unit\":411502001,\"module\":0}"),
            std::string::npos)
      << b;
  EXPECT_NE(b.find("\"root\":411502001,"), std::string::npos) << b;
  // The root first, then the walk: every village and grid of town_a, grids with coordinates.
  EXPECT_NE(b.find("\"units\":[" + entry(town_a, "township", county) + "\"town 411502001\"]"),
            std::string::npos)
      << b;
  for (auto v : {village_a1, village_a2})
    EXPECT_NE(b.find(entry(v, "village", town_a)), std::string::npos) << v;
  for (auto g : {grid_a1_1, grid_a1_2, grid_a2_1, grid_a2_2})
    EXPECT_NE(b.find(entry(g, "grid", g / 1000) + "\"grid " + std::to_string(g) +
                     "\",32.10000,114.10000]"),
              std::string::npos)
        << g;
  // Nothing of the other township, the county or the city.
  for (auto other : {town_b, village_b1, grid_b1_1, county, city})
    EXPECT_EQ(b.find("[" + std::to_string(other) + ",\""), std::string::npos) << other;
  // The county's departments, to choose from for a whistle, with their modules; not the other
  // county's.
  EXPECT_NE(b.find("\"departments\":[[411502901,\"公安分局\",[1]],[411502902,\"住建局\",[9]],"
                   "[411502903,\"生态环境分局\",[4]]]"),
            std::string::npos)
      << b;
  EXPECT_EQ(b.find(std::to_string(other_dept)), std::string::npos);
  EXPECT_NE(b.find("\"categories\":[[\"safety.dispute\",\"邻里纠纷\",1]]"), std::string::npos);
  EXPECT_NE(b.find("\"modules\":[\"module 0\","), std::string::npos);
  EXPECT_NE(b.find("\"channels\":[\"channel 0\","), std::string::npos);
}

TEST_F(directory_test, each_post_gets_the_root_it_may_watch) {
  struct expectation {
    protocol::person_id who;
    protocol::unit_code root;
  };
  for (auto [who, root] :
       {expectation{person_at(grid_b2_1, 2), grid_b2_1},
        expectation{person_at(village_a2, 1), village_a2},
        expectation{person_at(police, 2), police}, expectation{person_at(county, 1), county},
        expectation{person_at(centre, 1), county},    // a county centre
        expectation{person_at(city_centre, 2), city}, // the city centre
        expectation{person_at(city_centre, 1), city}, // the hotline
        expectation{person_at(city, 1), city}}) {
    auto r = get_for(who);
    ASSERT_EQ(r.status, 200) << who;
    EXPECT_NE(r.body.find("\"root\":" + std::to_string(root) + ",\"modules\""), std::string::npos)
        << who << ": " << r.body.substr(0, 200);
    // Exactly what the subscribe table allows: the root is watchable, its parent is not.
    auto p = actors::principal::of(*h_->find_person(who));
    EXPECT_TRUE(city_->may_watch(p, root)) << who;
    auto parent = h_->find_unit(root)->parent;
    if (parent != 0) {
      EXPECT_FALSE(city_->may_watch(p, parent)) << who;
    }
  }
  // The city's list holds every unit of the city, each once.
  auto all = get_for(person_at(city, 1)).body;
  for (const auto& u : h_->units) {
    auto at = all.find("[" + std::to_string(u.code) + ",\"");
    EXPECT_NE(at, std::string::npos) << u.code;
    EXPECT_EQ(all.find("[" + std::to_string(u.code) + ",\"", at + 1), std::string::npos) << u.code;
  }
}

TEST_F(directory_test, without_a_valid_token_it_is_401_with_the_reason) {
  auto none = http_request(port(), "GET", "/api/hierarchy");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.body.rfind("no token", 0), 0u) << none.body;
  auto bad = http_request(port(), "GET", "/api/hierarchy?token=abc.def.ghi");
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(bad.body, "malformed token\n");
  auto expired = http_request(port(), "GET",
                              "/api/hierarchy?token=" +
                                  token_for(person_at(city, 1), std::chrono::seconds(0)));
  EXPECT_EQ(expired.status, 401);
  EXPECT_EQ(expired.body, "token expired\n");
  EXPECT_EQ(expired.body.find("units"), std::string::npos);
}

} // namespace
} // namespace hub::testing
