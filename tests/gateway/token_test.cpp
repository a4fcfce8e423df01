#include "gateway/net/token.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace hub::gateway::token {
namespace {

protocol::person someone() {
  protocol::person p;
  p.id = 41150200100102;
  p.holds = protocol::post::grid_fulltime;
  p.unit = 411502001001;
  return p;
}

constexpr std::int64_t now = 1795564800; // 2026-11-25

TEST(token, base64url_matches_rfc_4648_without_padding) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  std::string out;
  ASSERT_TRUE(base64url_decode("Zm9vYg", out));
  EXPECT_EQ(out, "foob");
  ASSERT_TRUE(base64url_decode("-_8", out));
  EXPECT_EQ(out, "\xfb\xff");
  EXPECT_FALSE(base64url_decode("Zm9vYg==", out)) << "padding is refused";
  EXPECT_FALSE(base64url_decode("Zm+v", out)) << "the standard alphabet is refused";
  EXPECT_FALSE(base64url_decode("Z", out)) << "an impossible length";
  EXPECT_FALSE(base64url_decode("Zh", out)) << "non-zero unused bits";
}

TEST(token, an_issued_token_verifies_to_its_claims) {
  auto t = issue("secret", someone(), std::chrono::seconds(60), now);
  auto v = verify("secret", t, now + 59);
  ASSERT_TRUE(std::holds_alternative<claims>(v)) << to_string(std::get<error>(v));
  EXPECT_EQ(std::get<claims>(v),
            (claims{someone().id, protocol::post::grid_fulltime, 411502001001, now + 60}));
}

TEST(token, a_token_expires_at_exp) {
  auto t = issue("secret", someone(), std::chrono::seconds(60), now);
  EXPECT_EQ(std::get<error>(verify("secret", t, now + 60)), error::expired);
  EXPECT_EQ(std::get<error>(verify("secret", t, now + 3600)), error::expired);
}

TEST(token, another_secret_or_any_altered_byte_is_a_bad_signature) {
  auto t = issue("secret", someone(), std::chrono::seconds(60), now);
  EXPECT_EQ(std::get<error>(verify("other", t, now)), error::bad_signature);
  // A payload for another person, signed with the wrong key.
  auto forged = issue("other", someone(), std::chrono::seconds(600), now);
  EXPECT_EQ(std::get<error>(verify("secret", forged, now)), error::bad_signature);
  // Someone else's payload under this token's signature.
  auto dot1 = t.find('.'), dot2 = t.rfind('.');
  auto spliced = t.substr(0, dot1) +
                 forged.substr(forged.find('.'), forged.rfind('.') - forged.find('.')) +
                 t.substr(dot2);
  EXPECT_EQ(std::get<error>(verify("secret", spliced, now)), error::bad_signature);
  auto last = t;
  last.back() = last.back() == 'A' ? 'E' : 'A';
  EXPECT_NE(verify("secret", last, now).index(), 0u);
}

TEST(token, malformed_tokens_are_named_so) {
  auto t = issue("secret", someone(), std::chrono::seconds(60), now);
  for (std::string bad :
       {std::string(""), std::string("abc"), std::string("a.b"), t + ".x", std::string("..."),
        t.substr(0, t.rfind('.')) + ".AAAA", std::string("e30.e30.") + std::string(43, 'A')})
    EXPECT_EQ(std::get<error>(verify("secret", bad, now)), error::malformed) << bad;
  // alg "none" is never accepted, whatever the signature.
  auto none = base64url_encode(R"({"alg":"none"})") + t.substr(t.find('.'));
  EXPECT_EQ(std::get<error>(verify("secret", none, now)), error::malformed);
}

TEST(token, a_well_signed_payload_that_is_not_ours_is_malformed) {
  // Sign arbitrary payloads with the right key: the payload check must still refuse them.
  auto sign = [](std::string_view header, std::string_view payload) {
    auto input = base64url_encode(header) + "." + base64url_encode(payload);
    unsigned char sig[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), "secret", 6, reinterpret_cast<const unsigned char*>(input.data()),
         input.size(), sig, &len);
    return input + "." + base64url_encode({reinterpret_cast<const char*>(sig), len});
  };
  constexpr std::string_view hs256 = R"({"alg":"HS256","typ":"JWT"})";
  // The signing helper agrees with issue(): a hand-made token of ours verifies.
  auto ours =
      sign(hs256, R"({"sub":7,"post":"grid_head","unit":411502001001001,"exp":1795564900})");
  ASSERT_TRUE(std::holds_alternative<claims>(verify("secret", ours, now)));
  EXPECT_EQ(std::get<claims>(verify("secret", ours, now)).holds, protocol::post::grid_head);
  for (auto payload : {R"({"sub":7})", R"(not json)", R"([])",
                       R"({"sub":-1,"post":"grid_head","unit":1,"exp":1795564900})",
                       R"({"sub":7,"post":"mayor","unit":1,"exp":1795564900})",
                       R"({"sub":7,"post":"grid_head","unit":1,"exp":1795564900,"admin":1})",
                       R"({"sub":7,"post":"grid_head","unit":1,"exp":1795564900.5})",
                       R"({"sub":7,"sub":8,"post":"grid_head","unit":1,"exp":1795564900})",
                       R"({"sub":"7","post":"grid_head","unit":1,"exp":1795564900})",
                       R"({"sub":07,"post":"grid_head","unit":1,"exp":1795564900})"})
    EXPECT_EQ(std::get<error>(verify("secret", sign(hs256, payload), now)), error::malformed)
        << payload;
  EXPECT_EQ(std::get<error>(verify("secret", sign(R"({"alg":"HS512"})", R"({})"), now)),
            error::malformed);
}

} // namespace
} // namespace hub::gateway::token
