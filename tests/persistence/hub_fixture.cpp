#include "tests/persistence/hub_fixture.hpp"

#include "gateway/net/secret_file.hpp"
#include "gateway/net/token.hpp"
#include "persistence/records.hpp"
#include "protocol/hierarchy_file.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>

namespace hub::testing {

namespace fs = std::filesystem;

void hub_process_test::SetUp() {
  ASSERT_TRUE(redis_.start()) << redis_.why();
  dir_ = redis_.dir().string() + "-hub";
  fs::create_directories(dir_);
  hierarchy_file_ = (fs::path(dir_) / "city.tsv").string();
  std::ofstream out(hierarchy_file_);
  protocol::write_hierarchy(out, *h_);
  out.close();
  secret_file_ = (fs::path(dir_) / "hub.secret").string();
  std::string why;
  ASSERT_TRUE(gateway::load_or_create_secret(secret_file_, secret_, why)) << why;
}

void hub_process_test::TearDown() {
  hub_.reset();
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::vector<std::string> hub_process_test::serve_command(std::vector<std::string> extra) const {
  std::vector<std::string> args{
      HUB_BINARY,      "serve",      "--hierarchy", hierarchy_file_,
      "--secret-file", secret_file_, "--threads",   "2",
      "--www",         dir_,         "--redis",     redis_.address().to_string()};
  if (std::find(extra.begin(), extra.end(), "--port") == extra.end())
    extra.insert(extra.begin(), {"--port", "0"});
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::uint16_t hub_process_test::port_of(child_process& hub) {
  auto m = hub.wait_for_line(std::regex(R"(listening on ws://127\.0\.0\.1:(\d+)/)"));
  return m ? static_cast<std::uint16_t>(std::stoi((*m)[1])) : 0;
}

std::uint16_t hub_process_test::start_hub() {
  hub_ = std::make_unique<child_process>(serve_command(serve_extra_));
  auto port = port_of(*hub_);
  if (port == 0)
    ADD_FAILURE() << "the hub did not start: " << hub_->out() << hub_->err();
  return port;
}

std::string hub_process_test::token_for(protocol::person_id id) {
  return gateway::token::issue(secret_, *h_->find_person(id), std::chrono::seconds(3600));
}

std::map<protocol::case_id, actors::case_record> hub_process_test::stored_cases(bool archived) {
  auto spy = redis_.connect();
  std::map<protocol::case_id, actors::case_record> out;
  for (std::uint32_t b = 0; b < persistence::keys::case_buckets; ++b) {
    auto r = run(spy, {"HGETALL", archived ? persistence::keys::archive_bucket(b)
                                           : persistence::keys::case_bucket(b)});
    EXPECT_TRUE(r && r->type == REDIS_REPLY_ARRAY) << spy.error();
    if (!r || r->type != REDIS_REPLY_ARRAY)
      continue;
    for (std::size_t i = 0; i + 1 < r->elements; i += 2) {
      auto c = persistence::decode_case(persistence::text_of(r->element[i + 1]));
      out.emplace(c.id, std::move(c));
    }
  }
  return out;
}

} // namespace hub::testing
