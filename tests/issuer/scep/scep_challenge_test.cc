// The challenge password out of stored requests: redacted in place, and put back exactly as the
// phone signed it.
#include "capf/issuer/online/scep/scep_challenge.h"
#include "capf/issuer/online/scep/scep_message.h"

#include <algorithm>
#include <optional>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capf/pki/csr.h"
#include "tests/support/result_matchers.h"
#include "tests/support/test_pki.h"

namespace capf::scep {
namespace {

using ::testing::HasSubstr;

// A phone-signed PKCS#10, as the enrollment service assembles it.
Bytes signed_request(const std::optional<std::string>& challenge) {
  const pki::PrivateKey& key = pki::testing::rsa_key(1);
  pki::RequestInfoOptions options;
  options.challenge_password = challenge;
  auto info = pki::build_request_info("CN=SEP001122334455", key.spki_der(), options);
  EXPECT_TRUE(info) << info.error().message;
  auto signature = key.sign(pki::Hash::kSha256, *info);
  auto csr = pki::assemble_csr(*info, pki::Hash::kSha256, *signature);
  EXPECT_TRUE(csr) << csr.error().message;
  return *csr;
}

bool contains(const Bytes& haystack, std::string_view needle) {
  return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
         haystack.end();
}

TEST(ScepChallenge, RedactedRequestsHoldNoPasswordAndRestoreExactly) {
  // The challenge, and its bytes in the request: PrintableString, then IA5String (OpenSSL picks
  // the narrowest type the characters fit).
  const std::pair<std::string, std::string> cases[] = {
      {"s3cret", "s3cret"},
      {"N0t*Printable!", "N0t*Printable!"},
      {"0123456789", "0123456789"},
  };
  for (const auto& [challenge, encoded] : cases) {
    SCOPED_TRACE(challenge);
    Bytes csr = signed_request(challenge);
    ASSERT_TRUE(contains(csr, encoded));
    auto redacted = redact_challenge(csr);
    ASSERT_TRUE(redacted) << redacted.error().message;
    EXPECT_FALSE(contains(*redacted, encoded));
    EXPECT_EQ(redacted->size(), csr.size());
    // Still a DER PKCS#10 (its signature verifies only once restored).
    auto subject = csr_subject_der(*redacted);
    ASSERT_TRUE(subject) << subject.error().message;
    EXPECT_FALSE(pki::csr_public_key(*redacted));

    auto restored = restore_challenge(*redacted, challenge);
    ASSERT_TRUE(restored) << restored.error().message;
    EXPECT_EQ(*restored, csr);
    // Restoring a request that was never redacted changes nothing.
    auto again = restore_challenge(csr, challenge);
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, csr);
  }
}

TEST(ScepChallenge, AChangedChallengeIsNamed) {
  auto redacted = redact_challenge(signed_request("s3cret"));
  ASSERT_TRUE(redacted);
  for (std::string other : {"longer-secret", "s3c",
                            "s\xc3\xa4"
                            "cret"}) {
    auto restored = restore_challenge(*redacted, other);
    EXPECT_THAT(restored,
                FailsWith(ErrorCode::kInvalidArgument, HasSubstr("challenge password changed")))
        << other;
  }
}

TEST(ScepChallenge, RequestsWithoutAChallengePassThroughAndGarbageIsRefused) {
  Bytes plain = signed_request(std::nullopt);
  auto redacted = redact_challenge(plain);
  ASSERT_TRUE(redacted);
  EXPECT_EQ(*redacted, plain);
  auto restored = restore_challenge(plain, "s3cret");
  ASSERT_TRUE(restored);
  EXPECT_EQ(*restored, plain);

  for (Bytes garbage : {Bytes{}, Bytes{0x30}, Bytes{0x30, 0x80, 0x00, 0x00}, Bytes{0x01, 0x02}}) {
    auto r = redact_challenge(garbage);
    EXPECT_THAT(r, FailsWith(ErrorCode::kMalformed, HasSubstr("pkcs#10")));
  }
}

}  // namespace
}  // namespace capf::scep
