// Chain verification against trust anchors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capf/pki/profiles.h"
#include "capf/pki/verify.h"
#include "tests/support/result_matchers.h"
#include "tests/support/test_pki.h"

namespace capf::pki {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

struct Issued {
  Certificate capf;
  Certificate lsc;
};

Issued issue(const PrivateKey& capf_key, std::string_view subject = "CN=CAPF-1a2b3c4d,O=Example") {
  FakeClock clock(testing::test_now());
  auto capf = make_capf_certificate(capf_key, {std::string(subject), 3650}, clock);
  auto lsc = issue_lsc({"SEP001122334455", testing::ec_key(1).spki_der(), random_serial(), 365},
                       *capf, capf_key, clock);
  if (!capf || !lsc) {
    ADD_FAILURE() << "cannot issue";
    std::abort();
  }
  return {*capf, *lsc};
}

VerifyOptions at(TimePoint t) {
  VerifyOptions options;
  options.at = t;
  return options;
}

TEST(VerifyChain, ReturnsTheAnchorTheChainEndsAt) {
  Issued a = issue(testing::rsa_key());
  Issued b = issue(testing::ec_key(), "CN=CAPF-other,O=Example");
  auto anchor = verify_chain(a.lsc, {b.capf, a.capf}, {}, at(testing::test_now() + 1h));
  ASSERT_TRUE(anchor) << anchor.error().message;
  EXPECT_EQ(*anchor, a.capf);
  EXPECT_EQ(anchor->get(), a.capf.get());  // the caller's own object
}

TEST(VerifyChain, RefusesAWrongAnchor) {
  Issued a = issue(testing::rsa_key());
  Issued b = issue(testing::ec_key(), "CN=CAPF-other,O=Example");
  auto result = verify_chain(a.lsc, {b.capf}, {}, at(testing::test_now() + 1h));
  EXPECT_THAT(result,
              FailsWith(ErrorCode::kUntrusted,
                        ::testing::AllOf(HasSubstr("unable to get local issuer certificate"),
                                         HasSubstr("CN=SEP001122334455"))));

  // Same subject, different key: the name matches but the signature does not.
  Issued impostor = issue(testing::rsa_key(1));
  auto forged = verify_chain(a.lsc, {impostor.capf}, {}, at(testing::test_now() + 1h));
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().code, ErrorCode::kUntrusted);

  auto none = verify_chain(a.lsc, {}, {}, {});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ErrorCode::kUntrusted);
}

TEST(VerifyChain, ChecksTimeOnlyWhenAsked) {
  Issued a = issue(testing::rsa_key());
  auto expired = verify_chain(a.lsc, {a.capf}, {}, at(testing::test_now() + 24h * 400));
  EXPECT_THAT(expired, FailsWith(ErrorCode::kUntrusted,
                                 ::testing::AllOf(HasSubstr("certificate has expired"),
                                                  HasSubstr("CN=SEP001122334455"))));

  auto early = verify_chain(a.lsc, {a.capf}, {}, at(testing::test_now() - 1h));
  EXPECT_THAT(early, FailsWith(ErrorCode::kUntrusted, HasSubstr("certificate is not yet valid")));

  EXPECT_TRUE(verify_chain(a.lsc, {a.capf}, {}, {}));  // no time check at all
}

TEST(VerifyChain, NonSelfSignedAnchorIsTrustedAsGiven) {
  Issued a = issue(testing::rsa_key());
  // The LSC itself as the anchor: a partial chain of one.
  auto anchor = verify_chain(a.lsc, {a.lsc}, {}, {});
  ASSERT_TRUE(anchor) << anchor.error().message;
  EXPECT_EQ(*anchor, a.lsc);
}

TEST(VerifyChain, ClientAuthPurposeAcceptsAnLsc) {
  // The refusal side (an issuer whose EKU lacks clientAuth) is in
  // Lsc.ClientAuthNeedsAnIssuerEkuThatAllowsIt.
  Issued a = issue(testing::rsa_key());
  VerifyOptions options = at(testing::test_now() + 1h);
  options.require_client_auth = true;
  auto anchor = verify_chain(a.lsc, {a.capf}, {}, options);
  ASSERT_TRUE(anchor) << anchor.error().message;
  EXPECT_EQ(*anchor, a.capf);
}

}  // namespace
}  // namespace capf::pki
