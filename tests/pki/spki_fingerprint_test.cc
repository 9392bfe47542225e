// pki::spki_fingerprint: the format the registry stores (certificate_requests.spki_fingerprint).
#include <gtest/gtest.h>

#include <string>

#include "capf/pki/key.h"
#include "tests/support/test_pki.h"

namespace capf::pki {
namespace {

using testing::hex;

// The SPKI of the phone key in the docs/protocol.md §12 test vector (message 5).
const Bytes kVectorSpki = hex(
    "3059301306072a8648ce3d020106082a8648ce3d030107034200040217e617f0b6443928278f96999e69a23a4f2c"
    "152bdf6d6cdf66e5b80282d4ed194a7debcb97712d2dda3ca85aa8765a56f45fc758599652f2897c65306e5794");

struct FingerprintCase {
  Bytes spki_der;
  std::string fingerprint;
};

// Expected values from the command line: `xxd -r -p <<<HEX | openssl dgst -sha256 -r`.
TEST(SpkiFingerprint, IsLowerCaseHexSha256WithoutSeparators) {
  const FingerprintCase cases[] = {
      {{}, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {kVectorSpki, "76805a63a6980c18075424a13f32772d02d7c71b4965754c1ce84f5841220327"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(spki_fingerprint(c.spki_der), c.fingerprint) << c.spki_der.size() << " bytes";
  }
}

TEST(SpkiFingerprint, IsThePublicKeyFingerprint) {
  auto key = PublicKey::from_spki_der(kVectorSpki);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->fingerprint_sha256(),
            "76805a63a6980c18075424a13f32772d02d7c71b4965754c1ce84f5841220327");
}

}  // namespace
}  // namespace capf::pki
