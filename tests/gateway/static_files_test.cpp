#include "gateway/static_files.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace hub::gateway {
namespace {

namespace http = boost::beast::http;
namespace fs = std::filesystem;

class static_files_test : public ::testing::Test {
protected:
  static_files_test() {
    root_ = fs::temp_directory_path() /
            ("hub-static-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
             "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "www" / "css");
    write(root_ / "www" / "index.html", "<h1>hub</h1>");
    write(root_ / "www" / "css" / "site.css", "body{}");
    write(root_ / "www" / "my file.json", "{}");
    write(root_ / "secret.txt", "do not serve");
    fs::create_symlink(root_ / "secret.txt", root_ / "www" / "link.txt");
  }
  ~static_files_test() override { fs::remove_all(root_); }

  static void write(const fs::path& p, std::string_view text) { std::ofstream(p) << text; }

  fs::path root_;
};

TEST_F(static_files_test, files_are_served_with_their_content_type) {
  static_files files{root_ / "www"};
  auto index = files.get("/");
  EXPECT_EQ(index.status, http::status::ok);
  EXPECT_EQ(index.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(index.body, "<h1>hub</h1>");
  EXPECT_EQ(files.get("/index.html?v=2").body, "<h1>hub</h1>");
  auto css = files.get("/css/site.css");
  EXPECT_EQ(css.status, http::status::ok);
  EXPECT_EQ(css.content_type, "text/css; charset=utf-8");
  EXPECT_EQ(files.get("/css/").status, http::status::not_found); // no index.html there
  auto spaced = files.get("/my%20file.json");
  EXPECT_EQ(spaced.status, http::status::ok);
  EXPECT_EQ(spaced.content_type, "application/json");
}

TEST_F(static_files_test, dot_dot_is_refused_however_it_is_spelled) {
  static_files files{root_ / "www"};
  for (auto target : {"/../secret.txt", "/css/../../secret.txt", "/%2e%2e/secret.txt",
                      "/css/%2E%2E/%2e%2e/secret.txt", "/..", "/css/.."})
    EXPECT_EQ(files.get(target).status, http::status::bad_request) << target;
  EXPECT_EQ(files.get("/..%5csecret.txt").status, http::status::bad_request);
  EXPECT_EQ(files.get("/%zz").status, http::status::bad_request);
  EXPECT_EQ(files.get("nope").status, http::status::bad_request);
}

TEST_F(static_files_test, nothing_outside_the_root_is_served_even_through_a_symlink) {
  static_files files{root_ / "www"};
  EXPECT_EQ(files.get("/link.txt").status, http::status::not_found);
  EXPECT_EQ(files.get("/missing.html").status, http::status::not_found);
  static_files none{""};
  EXPECT_EQ(none.get("/index.html").status, http::status::not_found);
}

TEST(static_files_mime, types_follow_the_extension_case_insensitively) {
  EXPECT_EQ(static_files::mime_type("a/b.JS"), "text/javascript; charset=utf-8");
  EXPECT_EQ(static_files::mime_type("x.svg"), "image/svg+xml");
  EXPECT_EQ(static_files::mime_type("x.woff2"), "font/woff2");
  EXPECT_EQ(static_files::mime_type("x"), "application/octet-stream");
  EXPECT_EQ(static_files::mime_type("dir.d/x"), "application/octet-stream");
}

} // namespace
} // namespace hub::gateway
