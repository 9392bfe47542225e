// CRLs (pki/crl.h): revocation reasons, make_crl checked by the openssl command line (signature,
// text, `verify -crl_check` with self-signed and subordinate CAPF certificates), parse_crl and
// verify_crl.
#include "capf/pki/crl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "capf/pki/profiles.h"
#include "tests/support/result_matchers.h"
#include "tests/support/test_pki.h"

namespace capf::pki {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using testing::run_shell;
using testing::TempDir;

constexpr auto kDay = std::chrono::hours(24);

Certificate make_lsc(const Certificate& capf, const PrivateKey& capf_key,
                     const PrivateKey& phone_key, std::string_view device, TimePoint now) {
  FakeClock clock(now);
  auto lsc = issue_lsc({std::string(device), phone_key.spki_der(), random_serial(), 365}, capf,
                       capf_key, clock);
  if (!lsc) {
    ADD_FAILURE() << lsc.error().message;
    std::abort();
  }
  return *lsc;
}

CrlParams params_at(TimePoint now, std::vector<RevokedEntry> revoked = {},
                    std::uint64_t number = 1) {
  return CrlParams{std::move(revoked), number, now, now + 7 * kDay};
}

// Seconds since the epoch as `openssl verify -attime` takes them.
std::string attime(TimePoint t) {
  return std::to_string(to_unix(t));
}

std::string ski_hex(const Certificate& cert) {
  const ASN1_OCTET_STRING* ski = X509_get0_subject_key_id(cert.get());
  return ski == nullptr ? ""
                        : to_hex(ByteView(ASN1_STRING_get0_data(ski),
                                          static_cast<std::size_t>(ASN1_STRING_length(ski))));
}

// "0a1b" -> "0A:1B", as `openssl crl -text` prints key identifiers.
std::string colon_upper(std::string_view hex) {
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    out += (out.empty() ? "" : ":") + std::string(hex.substr(i, 2));
  }
  std::transform(out.begin(), out.end(), out.begin(),
                 [](char c) { return c >= 'a' && c <= 'f' ? static_cast<char>(c - 32) : c; });
  return out;
}

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c; });
  return text;
}

TEST(RevocationReason, ValuesAndNamesAreRfc5280s) {
  EXPECT_EQ(static_cast<int>(RevocationReason::kUnspecified), 0);
  EXPECT_EQ(static_cast<int>(RevocationReason::kKeyCompromise), 1);
  EXPECT_EQ(static_cast<int>(RevocationReason::kCaCompromise), 2);
  EXPECT_EQ(static_cast<int>(RevocationReason::kAffiliationChanged), 3);
  EXPECT_EQ(static_cast<int>(RevocationReason::kSuperseded), 4);
  EXPECT_EQ(static_cast<int>(RevocationReason::kCessationOfOperation), 5);
  EXPECT_EQ(static_cast<int>(RevocationReason::kCertificateHold), 6);
  EXPECT_EQ(static_cast<int>(RevocationReason::kRemoveFromCrl), 8);
  EXPECT_EQ(static_cast<int>(RevocationReason::kPrivilegeWithdrawn), 9);
  EXPECT_EQ(static_cast<int>(RevocationReason::kAaCompromise), 10);
  EXPECT_EQ(to_string(RevocationReason::kKeyCompromise), "keyCompromise");
  EXPECT_EQ(to_string(RevocationReason::kCaCompromise), "cACompromise");
  EXPECT_EQ(to_string(RevocationReason::kSuperseded), "superseded");
  EXPECT_EQ(to_string(RevocationReason::kCessationOfOperation), "cessationOfOperation");
  EXPECT_EQ(to_string(RevocationReason::kRemoveFromCrl), "removeFromCRL");
  EXPECT_EQ(to_string(RevocationReason::kAaCompromise), "aACompromise");
}

TEST(RevocationReason, ParsesEveryNameInAnyCase) {
  for (int value : {0, 1, 2, 3, 4, 5, 6, 8, 9, 10}) {
    auto reason = static_cast<RevocationReason>(value);
    std::string name(to_string(reason));
    auto parsed = parse_revocation_reason(name);
    ASSERT_TRUE(parsed) << name;
    EXPECT_EQ(*parsed, reason);
    auto shouted = parse_revocation_reason(upper(name));
    ASSERT_TRUE(shouted) << name;
    EXPECT_EQ(*shouted, reason);
  }
  auto mixed = parse_revocation_reason("KeyCOMPROMISE");
  ASSERT_TRUE(mixed);
  EXPECT_EQ(*mixed, RevocationReason::kKeyCompromise);
}

TEST(RevocationReason, UnknownNameIsAnErrorListingTheNames) {
  for (std::string_view bad : {"", "compromised", "key compromise", "keyCompromise ", "7"}) {
    auto parsed = parse_revocation_reason(bad);
    EXPECT_THAT(
        parsed,
        FailsWith(ErrorCode::kInvalidArgument,
                  ::testing::AllOf(
                      HasSubstr("unknown revocation reason"),
                      HasSubstr("unspecified, keyCompromise, cACompromise, affiliationChanged, "
                                "superseded, cessationOfOperation, certificateHold, removeFromCRL, "
                                "privilegeWithdrawn, aACompromise"))))
        << bad;
  }
}

// One CAPF (RSA or EC), two LSCs, a CRL revoking one of them, all written as PEM files.
Bytes must(Result<Bytes> bytes) {
  if (!bytes) {
    ADD_FAILURE() << bytes.error().message;
    std::abort();
  }
  return *std::move(bytes);
}

struct Fixture {
  explicit Fixture(const PrivateKey& capf_key)
      : capf(testing::test_capf_certificate(capf_key)),
        revoked(make_lsc(capf, capf_key, testing::ec_key(1), "SEP001122334455", now)),
        kept(make_lsc(capf, capf_key, testing::ec_key(2), "SEP00112233445A", now)),
        crl(must(make_crl(params_at(now + kDay, {{revoked.serial_hex(), now + std::chrono::hours(1),
                                                  RevocationReason::kKeyCompromise}}),
                          capf, capf_key))) {
    dir.write("capf.pem", capf.pem());
    dir.write("revoked.pem", revoked.pem());
    dir.write("kept.pem", kept.pem());
    dir.write("crl.pem", crl_pem(crl));
    dir.write("crl.der", crl);
  }

  const TimePoint now = testing::test_now();
  TempDir dir;
  Certificate capf;
  Certificate revoked;
  Certificate kept;
  Bytes crl;
};

class CrlByIssuerKey : public ::testing::TestWithParam<bool> {
 protected:
  const PrivateKey& capf_key() const { return GetParam() ? testing::ec_key() : testing::rsa_key(); }
};

TEST_P(CrlByIssuerKey, OpensslVerifiesTheSignature) {
  Fixture f(capf_key());
  auto pem = run_shell("openssl crl -in " + f.dir.file("crl.pem") + " -CAfile " +
                       f.dir.file("capf.pem") + " -noout");
  EXPECT_EQ(pem.exit_code, 0) << pem.output;
  EXPECT_THAT(pem.output, HasSubstr("verify OK"));
  auto der = run_shell("openssl crl -inform DER -in " + f.dir.file("crl.der") + " -CAfile " +
                       f.dir.file("capf.pem") + " -noout");
  EXPECT_EQ(der.exit_code, 0) << der.output;
  EXPECT_THAT(der.output, HasSubstr("verify OK"));
  EXPECT_TRUE(verify_crl(f.crl, f.capf));
}

TEST_P(CrlByIssuerKey, OpensslVerifyCrlCheckRefusesTheRevokedLscOnly) {
  Fixture f(capf_key());
  const std::string verify = "openssl verify -attime " + attime(testing::test_now() + 2 * kDay) +
                             " -crl_check -CAfile " + f.dir.file("capf.pem") + " -CRLfile " +
                             f.dir.file("crl.pem") + " ";
  auto revoked = run_shell(verify + f.dir.file("revoked.pem"));
  EXPECT_NE(revoked.exit_code, 0) << revoked.output;
  EXPECT_THAT(revoked.output, HasSubstr("certificate revoked"));
  auto kept = run_shell(verify + f.dir.file("kept.pem"));
  EXPECT_EQ(kept.exit_code, 0) << kept.output;
  EXPECT_THAT(kept.output, HasSubstr(": OK"));
  EXPECT_THAT(kept.output, Not(HasSubstr("revoked")));
  // Past nextUpdate the same CRL is stale, which OpenSSL reports as such.
  auto stale = run_shell("openssl verify -attime " + attime(testing::test_now() + 30 * kDay) +
                         " -crl_check -CAfile " + f.dir.file("capf.pem") + " -CRLfile " +
                         f.dir.file("crl.pem") + " " + f.dir.file("kept.pem"));
  EXPECT_NE(stale.exit_code, 0) << stale.output;
  EXPECT_THAT(stale.output, HasSubstr("CRL has expired"));
}

INSTANTIATE_TEST_SUITE_P(RsaAndEc, CrlByIssuerKey, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Ec" : "Rsa";
                         });

TEST(Crl, OpensslTextShowsNumberReasonsAuthorityKeyIdAndTimes) {
  const PrivateKey& key = testing::rsa_key();
  Certificate capf = testing::test_capf_certificate(key);
  const TimePoint now = testing::test_now();
  auto crl = make_crl(CrlParams{{{"0a", now, RevocationReason::kKeyCompromise},
                                 {"0b", now, RevocationReason::kSuperseded},
                                 {"0c", now, RevocationReason::kCessationOfOperation},
                                 {"0d", now, RevocationReason::kUnspecified}},
                                42,
                                now,
                                now + 7 * kDay},
                      capf, key);
  ASSERT_TRUE(crl) << crl.error().message;
  TempDir dir;
  dir.write("crl.pem", crl_pem(*crl));
  auto text = run_shell("openssl crl -in " + dir.file("crl.pem") + " -noout -text");
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_THAT(text.output, HasSubstr("Version 2 (0x1)"));
  EXPECT_THAT(text.output, HasSubstr("sha256WithRSAEncryption"));
  EXPECT_THAT(text.output, HasSubstr("Issuer: CN = CAPF-1a2b3c4d, O = Example, OU = Voice, "
                                     "L = Town, ST = State, C = NZ"));
  EXPECT_THAT(text.output, HasSubstr("Last Update: Mar  1 00:00:00 2026 GMT"));
  EXPECT_THAT(text.output, HasSubstr("Next Update: Mar  8 00:00:00 2026 GMT"));
  EXPECT_THAT(text.output, HasSubstr("X509v3 CRL Number: \n                42\n"));
  EXPECT_THAT(text.output, HasSubstr("X509v3 Authority Key Identifier: \n"));
  EXPECT_THAT(text.output, HasSubstr(colon_upper(ski_hex(capf))));
  EXPECT_THAT(text.output, HasSubstr("Key Compromise"));
  EXPECT_THAT(text.output, HasSubstr("Superseded"));
  EXPECT_THAT(text.output, HasSubstr("Cessation Of Operation"));
  // Unspecified is written as no reasonCode at all (RFC 5280 §5.3.1).
  EXPECT_THAT(text.output, Not(HasSubstr("Unspecified")));
  std::size_t reason_codes = 0;
  for (std::size_t at = text.output.find("CRL Reason Code"); at != std::string::npos;
       at = text.output.find("CRL Reason Code", at + 1)) {
    ++reason_codes;
  }
  EXPECT_EQ(reason_codes, 3u);
  for (std::string_view serial :
       {"Serial Number: 0A", "Serial Number: 0B", "Serial Number: 0C", "Serial Number: 0D"}) {
    EXPECT_THAT(text.output, HasSubstr(serial));
  }
}

TEST(Crl, EcIssuerSignsWithEcdsaSha256) {
  const PrivateKey& key = testing::ec_key();
  Certificate capf = testing::test_capf_certificate(key);
  auto crl = make_crl(params_at(testing::test_now()), capf, key);
  ASSERT_TRUE(crl) << crl.error().message;
  const unsigned char* p = crl->data();
  X509CrlPtr parsed(d2i_X509_CRL(nullptr, &p, static_cast<long>(crl->size())));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(X509_CRL_get_signature_nid(parsed.get()), NID_ecdsa_with_SHA256);
  EXPECT_EQ(X509_CRL_get_version(parsed.get()), X509_CRL_VERSION_2);
}

TEST(Crl, EmptyCrlIsValid) {
  const PrivateKey& key = testing::ec_key();
  Certificate capf = testing::test_capf_certificate(key);
  const TimePoint now = testing::test_now();
  Certificate lsc = make_lsc(capf, key, testing::ec_key(1), "SEP001122334455", now);
  auto crl = make_crl(params_at(now, {}, 7), capf, key);
  ASSERT_TRUE(crl) << crl.error().message;
  TempDir dir;
  dir.write("crl.pem", crl_pem(*crl));
  dir.write("capf.pem", capf.pem());
  dir.write("lsc.pem", lsc.pem());
  auto check = run_shell("openssl crl -in " + dir.file("crl.pem") + " -CAfile " +
                         dir.file("capf.pem") + " -noout -text");
  EXPECT_EQ(check.exit_code, 0) << check.output;
  EXPECT_THAT(check.output, HasSubstr("verify OK"));
  EXPECT_THAT(check.output, HasSubstr("No Revoked Certificates."));
  auto verify = run_shell("openssl verify -attime " + attime(now + kDay) + " -crl_check -CAfile " +
                          dir.file("capf.pem") + " -CRLfile " + dir.file("crl.pem") + " " +
                          dir.file("lsc.pem"));
  EXPECT_EQ(verify.exit_code, 0) << verify.output;
  auto info = parse_crl(*crl);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_THAT(info->entries, IsEmpty());
  EXPECT_EQ(info->crl_number, 7u);
  EXPECT_TRUE(verify_crl(*crl, capf));
}

TEST(Crl, SubordinateCapfCrlVerifiesThroughTheRoot) {
  TempDir dir;
  const PrivateKey& capf_key = testing::ec_key();
  auto chain =
      testing::make_subordinate(dir, testing::rsa_key(3), capf_key, testing::CrlSign::kWith);
  // The root carries the real time (openssl x509 has no start date option), so this chain lives
  // at the wall clock's time, taken once and then held still.
  const TimePoint now = std::chrono::floor<Seconds>(SystemClock().now());
  Certificate revoked = make_lsc(chain.capf, capf_key, testing::ec_key(1), "SEP001122334455", now);
  Certificate kept = make_lsc(chain.capf, capf_key, testing::ec_key(2), "SEP00112233445A", now);
  auto crl =
      make_crl(params_at(now, {{revoked.serial_hex(), now, RevocationReason::kSuperseded}}, 3),
               chain.capf, capf_key);
  ASSERT_TRUE(crl) << crl.error().message;
  dir.write("crl.pem", crl_pem(*crl));
  dir.write("revoked.pem", revoked.pem());
  dir.write("kept.pem", kept.pem());

  auto info = parse_crl(*crl);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->issuer, chain.capf.subject());
  EXPECT_EQ(info->authority_key_id_hex, ski_hex(chain.capf));
  EXPECT_TRUE(verify_crl(*crl, chain.capf));
  EXPECT_FALSE(verify_crl(*crl, chain.root));

  const std::string verify = "openssl verify -attime " + attime(now + std::chrono::hours(1)) +
                             " -crl_check -CAfile " + dir.file("root.pem") + " -untrusted " +
                             dir.file("capf.pem") + " -CRLfile " + dir.file("crl.pem") + " ";
  auto bad = run_shell(verify + dir.file("revoked.pem"));
  EXPECT_NE(bad.exit_code, 0) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("certificate revoked"));
  auto good = run_shell(verify + dir.file("kept.pem"));
  EXPECT_EQ(good.exit_code, 0) << good.output;
  EXPECT_THAT(good.output, HasSubstr(": OK"));
}

TEST(Crl, RefusesAnIssuerWithoutCrlSign) {
  TempDir dir;
  const PrivateKey& capf_key = testing::ec_key();
  auto chain =
      testing::make_subordinate(dir, testing::rsa_key(3), capf_key, testing::CrlSign::kWithout);
  auto crl = make_crl(params_at(testing::test_now()), chain.capf, capf_key);
  EXPECT_THAT(crl, FailsWith(ErrorCode::kInvalidArgument,
                             ::testing::AllOf(HasSubstr("lacks cRLSign in keyUsage"),
                                              HasSubstr("CN=CAPF-sub"))));
}

TEST(Crl, ParseRoundTripsEverything) {
  const PrivateKey& key = testing::ec_key();
  Certificate capf = testing::test_capf_certificate(key);
  const TimePoint now = testing::test_now();
  const std::uint64_t number = 0xfedcba9876543210u;
  // Given out of order, with upper-case hex, colons and a leading zero byte.
  std::vector<RevokedEntry> revoked = {
      {"7F:00:AB:CD:00:11:22:33:44:55:66:77:88:99:AA:BB", now + std::chrono::seconds(5),
       RevocationReason::kCessationOfOperation},
      {"00ff", now - kDay, RevocationReason::kSuperseded},
      {"1", now - 2 * kDay, RevocationReason::kKeyCompromise},
      {"0abc", now, RevocationReason::kUnspecified},
      {"0102030405060708090a0b0c0d0e0f1011121314", now, RevocationReason::kAaCompromise},
  };
  auto crl = make_crl(CrlParams{revoked, number, now, now + 30 * kDay}, capf, key);
  ASSERT_TRUE(crl) << crl.error().message;
  const std::string pem = crl_pem(*crl);
  for (const Bytes& input : {*crl, Bytes(pem.begin(), pem.end())}) {
    auto info = parse_crl(input);
    ASSERT_TRUE(info) << info.error().message;
    EXPECT_EQ(info->issuer, capf.subject());
    EXPECT_EQ(info->crl_number, number);
    EXPECT_EQ(info->this_update, now);
    EXPECT_EQ(info->next_update, now + 30 * kDay);
    EXPECT_EQ(info->authority_key_id_hex, ski_hex(capf));
    ASSERT_EQ(info->entries.size(), 5u);
    const auto& e = info->entries;
    EXPECT_EQ(e[0].serial_hex, "01");
    EXPECT_EQ(e[0].revoked_at, now - 2 * kDay);
    EXPECT_EQ(e[0].reason, RevocationReason::kKeyCompromise);
    EXPECT_EQ(e[1].serial_hex, "ff");
    EXPECT_EQ(e[1].revoked_at, now - kDay);
    EXPECT_EQ(e[1].reason, RevocationReason::kSuperseded);
    EXPECT_EQ(e[2].serial_hex, "0abc");
    EXPECT_EQ(e[2].revoked_at, now);
    EXPECT_EQ(e[2].reason, RevocationReason::kUnspecified);
    EXPECT_EQ(e[3].serial_hex, "7f00abcd00112233445566778899aabb");
    EXPECT_EQ(e[3].revoked_at, now + std::chrono::seconds(5));
    EXPECT_EQ(e[3].reason, RevocationReason::kCessationOfOperation);
    EXPECT_EQ(e[4].serial_hex, "0102030405060708090a0b0c0d0e0f1011121314");
    EXPECT_EQ(e[4].reason, RevocationReason::kAaCompromise);
  }
  EXPECT_THAT(crl_pem(*crl), HasSubstr("-----BEGIN X509 CRL-----\n"));
  EXPECT_THAT(crl_pem(*crl), HasSubstr("-----END X509 CRL-----\n"));
}

TEST(Crl, SerialsMatchTheLscsTheyRevoke) {
  const PrivateKey& key = testing::rsa_key();
  Certificate capf = testing::test_capf_certificate(key);
  std::vector<RevokedEntry> revoked;
  std::vector<std::string> serials;
  for (int i = 0; i < 8; ++i) {
    Certificate lsc =
        make_lsc(capf, key, testing::ec_key(1), "SEP001122334455", testing::test_now());
    revoked.push_back({lsc.serial_hex(), testing::test_now(), RevocationReason::kSuperseded});
    serials.push_back(lsc.serial_hex());
  }
  auto crl = make_crl(params_at(testing::test_now(), revoked), capf, key);
  ASSERT_TRUE(crl) << crl.error().message;
  auto info = parse_crl(*crl);
  ASSERT_TRUE(info) << info.error().message;
  std::vector<std::string> listed;
  for (const CrlEntryInfo& entry : info->entries) {
    listed.push_back(entry.serial_hex);
  }
  std::sort(serials.begin(), serials.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  EXPECT_EQ(listed, serials);
}

TEST(Crl, OutputDoesNotDependOnTheOrderOfTheEntries) {
  // RSA PKCS#1 v1.5 signatures are deterministic, so equal inputs give equal bytes.
  const PrivateKey& key = testing::rsa_key();
  Certificate capf = testing::test_capf_certificate(key);
  const TimePoint now = testing::test_now();
  std::vector<RevokedEntry> revoked = {{"03", now, RevocationReason::kKeyCompromise},
                                       {"0100", now, RevocationReason::kSuperseded},
                                       {"02", now, RevocationReason::kUnspecified}};
  auto first = make_crl(params_at(now, revoked, 5), capf, key);
  std::reverse(revoked.begin(), revoked.end());
  auto second = make_crl(params_at(now, revoked, 5), capf, key);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, *second);
}

TEST(Crl, TimesAfter2049AreGeneralizedTime) {
  const PrivateKey& key = testing::ec_key();
  Certificate capf = testing::test_capf_certificate(key);
  const TimePoint later = from_unix(2840140800);  // 2060-01-01T00:00:00Z
  auto crl =
      make_crl(params_at(later, {{"42", later, RevocationReason::kPrivilegeWithdrawn}}), capf, key);
  ASSERT_TRUE(crl) << crl.error().message;
  auto info = parse_crl(*crl);
  ASSERT_TRUE(info) << info.error().message;
  EXPECT_EQ(info->this_update, later);
  EXPECT_EQ(info->next_update, later + 7 * kDay);
  ASSERT_EQ(info->entries.size(), 1u);
  EXPECT_EQ(info->entries[0].revoked_at, later);
  EXPECT_EQ(info->entries[0].reason, RevocationReason::kPrivilegeWithdrawn);
  // GeneralizedTime "20600101000000Z" (tag 0x18) is in the bytes.
  const std::string hex = to_hex(*crl);
  EXPECT_THAT(hex, HasSubstr("180f" + to_hex(as_bytes("20600101000000Z"))));
}

TEST(Crl, VerifyFailsForAnotherIssuerAndForAFlippedByte) {
  const PrivateKey& key = testing::ec_key();
  Certificate capf = testing::test_capf_certificate(key);
  auto crl = make_crl(
      params_at(testing::test_now(), {{"0a", testing::test_now(), RevocationReason::kSuperseded}}),
      capf, key);
  ASSERT_TRUE(crl) << crl.error().message;
  EXPECT_TRUE(verify_crl(*crl, capf));
  EXPECT_TRUE(verify_crl(as_bytes(crl_pem(*crl)), capf));

  // Same subject, another key: the name matches but the signature does not.
  Certificate impostor = testing::test_capf_certificate(testing::ec_key(5));
  auto by_impostor = verify_crl(*crl, impostor);
  EXPECT_THAT(by_impostor, FailsWith(ErrorCode::kCrypto, HasSubstr("signature does not verify")));
  // Another subject.
  Certificate other = testing::test_capf_certificate(testing::rsa_key(), "CN=CAPF-other,O=Example");
  auto by_other = verify_crl(*crl, other);
  EXPECT_THAT(by_other, FailsWith(ErrorCode::kCrypto, HasSubstr("is not the certificate subject")));

  // A flipped byte in the signed part (a time's seconds) and one in the signature.
  Bytes date_flipped = *crl;
  const std::string der_hex = to_hex(date_flipped);
  const std::size_t date_at = der_hex.find(to_hex(as_bytes("260301000000Z")));
  ASSERT_NE(date_at, std::string::npos);
  ASSERT_EQ(date_at % 2, 0u);
  date_flipped[date_at / 2 + 10] ^= 0x01;  // '0' -> '1' in the seconds: still a valid time
  ASSERT_TRUE(parse_crl(date_flipped));
  auto flipped = verify_crl(date_flipped, capf);
  ASSERT_FALSE(flipped);
  EXPECT_EQ(flipped.error().code, ErrorCode::kCrypto);
  Bytes sig_flipped = *crl;
  sig_flipped[sig_flipped.size() - 3] ^= 0x40;
  EXPECT_FALSE(verify_crl(sig_flipped, capf));

  TempDir dir;
  dir.write("capf.pem", capf.pem());
  dir.write("crl.der", date_flipped);
  auto openssl = run_shell("openssl crl -inform DER -in " + dir.file("crl.der") + " -CAfile " +
                           dir.file("capf.pem") + " -noout");
  EXPECT_THAT(openssl.output, Not(HasSubstr("verify OK")));
}

TEST(Crl, BadSerialsAreInvalidArguments) {
  const PrivateKey& key = testing::ec_key();
  Certificate capf = testing::test_capf_certificate(key);
  const TimePoint now = testing::test_now();
  for (std::string_view serial : {"", "xyz", "0x0a", "-0a", "00", "0:0", "0a:b",
                                  "0102030405060708090a0b0c0d0e0f101112131415"}) {
    auto crl = make_crl(params_at(now, {{std::string(serial), now, RevocationReason::kSuperseded}}),
                        capf, key);
    EXPECT_THAT(crl, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("revoked serial"))) << serial;
  }
  // The same serial twice, however it is written.
  auto twice = make_crl(params_at(now, {{"0A", now, RevocationReason::kSuperseded},
                                        {"000a", now, RevocationReason::kKeyCompromise}}),
                        capf, key);
  EXPECT_THAT(twice, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("listed more than once")));
  // removeFromCRL belongs to delta CRLs; OpenSSL would treat the entry as not revoked.
  auto remove =
      make_crl(params_at(now, {{"0a", now, RevocationReason::kRemoveFromCrl}}), capf, key);
  EXPECT_THAT(remove, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("removeFromCRL")));
}

TEST(Crl, NextUpdateMustBeAfterThisUpdate) {
  const PrivateKey& key = testing::ec_key();
  Certificate capf = testing::test_capf_certificate(key);
  const TimePoint now = testing::test_now();
  for (TimePoint next : {now, now - kDay, now + std::chrono::milliseconds(500)}) {
    auto crl = make_crl(CrlParams{{}, 1, now, next}, capf, key);
    EXPECT_THAT(crl, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("is not later than")));
  }
  EXPECT_TRUE(make_crl(CrlParams{{}, 1, now, now + std::chrono::seconds(1)}, capf, key));
}

TEST(Crl, KeyOfAnotherCertificateIsRefused) {
  Certificate capf = testing::test_capf_certificate(testing::ec_key());
  for (const PrivateKey* wrong : {&testing::ec_key(1), &testing::rsa_key()}) {
    auto crl = make_crl(params_at(testing::test_now()), capf, *wrong);
    EXPECT_THAT(crl, FailsWith(ErrorCode::kInvalidArgument,
                               HasSubstr("does not belong to the issuer certificate")));
  }
}

TEST(Crl, ParseRefusesWhatIsNotACrl) {
  const PrivateKey& key = testing::ec_key();
  Certificate capf = testing::test_capf_certificate(key);
  const std::string capf_pem = capf.pem();
  for (const Bytes& bad : {Bytes{}, Bytes{0x30, 0x03, 0x02, 0x01, 0x01}, capf.der(),
                           Bytes(capf_pem.begin(), capf_pem.end())}) {
    auto info = parse_crl(bad);
    ASSERT_FALSE(info);
    EXPECT_EQ(info.error().code, ErrorCode::kMalformed);
  }
  auto crl = make_crl(params_at(testing::test_now()), capf, key);
  ASSERT_TRUE(crl) << crl.error().message;
  Bytes trailing = *crl;
  trailing.push_back(0);
  auto info = parse_crl(trailing);
  EXPECT_THAT(info, FailsWith(ErrorCode::kMalformed, HasSubstr("trailing")));
  auto verified = verify_crl(trailing, capf);
  ASSERT_FALSE(verified);
  EXPECT_EQ(verified.error().code, ErrorCode::kMalformed);
  // Every truncation fails cleanly.
  for (std::size_t n = 0; n < crl->size(); ++n) {
    EXPECT_FALSE(parse_crl(ByteView(*crl).first(n))) << n;
  }
}

}  // namespace
}  // namespace capf::pki
