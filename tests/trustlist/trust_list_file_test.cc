// ITL/CTL and .sgn files (docs/trust-lists.md): the header and records byte for byte, the round
// trip through our reader, and each way a file can be wrong giving its own error.
#include <cctype>
#include <map>

#include <gtest/gtest.h>

#include "capf/pki/profiles.h"
#include "capf/pki/signer_profile.h"
#include "capf/trustlist/sgn_file.h"
#include "capf/trustlist/tlv.h"
#include "capf/trustlist/trust_list_file.h"

namespace capf::trustlist {
namespace {

constexpr std::uint32_t kNow = 1'772'323'200;  // 2026-03-01T00:00:00Z

const FakeClock& clock() {
  static const FakeClock c(from_unix(kNow));
  return c;
}

struct Identity {
  pki::PrivateKey key;
  pki::Certificate cert;
};

// Made at run time, once per process (RSA generation is the slow part).
const Identity& signer(int slot) {
  static std::map<int, Identity> made;
  auto it = made.find(slot);
  if (it == made.end()) {
    auto key = pki::PrivateKey::generate({KeyType::kRsa, 2048}).value();
    auto cert = pki::make_signer_certificate(
                    key, fmt::format("CN=ITLRecovery-test{},OU=opencapf", slot), 365, clock())
                    .value();
    it = made.emplace(slot, Identity{std::move(key), std::move(cert)}).first;
  }
  return it->second;
}

const Identity& ec_capf() {
  static const Identity id = [] {
    auto key = pki::PrivateKey::generate({KeyType::kEc, 256}).value();
    auto cert = pki::make_capf_certificate(key, {"CN=CAPF-test,O=Example", 365}, clock()).value();
    return Identity{std::move(key), std::move(cert)};
  }();
  return id;
}

SigningOptions options(pki::Hash digest = pki::Hash::kSha512,
                       std::uint16_t version = kSignerVersion11) {
  return SigningOptions{digest, version, "ITLFile.tlv", kNow};
}

Bytes build(const Identity& by, std::vector<Listed> entries, SigningOptions o = options()) {
  auto built = build_trust_list(by.cert, by.key, o, entries);
  EXPECT_TRUE(built) << built.error().message;
  return built ? *built : Bytes{};
}

Bytes standard_list() {
  return build(signer(0), {{Role::kSast, signer(0).cert}, {Role::kCapf, ec_capf().cert}});
}

std::string hex_at(const Bytes& b, std::size_t offset, std::size_t n) {
  return to_hex(ByteView(b).subspan(offset, n));
}

TEST(Header, StartsWithVersionLengthAndSignerVersion) {
  Bytes file = standard_list();
  EXPECT_EQ(hex_at(file, 0, 5), "0100020102");  // VERSION 1.2
  EXPECT_EQ(hex_at(file, 5, 3), "020002");      // HEADER_LENGTH
  const std::size_t header_length = get_u16be(&file[8]);
  EXPECT_EQ(header_length % 4, 0u);
  EXPECT_EQ(hex_at(file, 10, 5), "1c00020101");  // SIGNER_VERSION 1.1
}

TEST(Header, SignerInfoHoldsNameSerialIssuer) {
  Bytes file = standard_list();
  const pki::Certificate& cert = signer(0).cert;
  Bytes expected;
  ASSERT_TRUE(put_text(expected, 4, cert.subject(), "x"));
  ASSERT_TRUE(put_element(expected, 5, serial_bytes(cert), "x"));
  ASSERT_TRUE(put_text(expected, 6, cert.issuer(), "x"));
  EXPECT_EQ(file[15], 3);
  EXPECT_EQ(get_u16be(&file[16]), expected.size());
  EXPECT_EQ(hex_at(file, 18, expected.size()), to_hex(expected));
  EXPECT_NE(serial_bytes(cert)[0], 0) << "minimal big-endian serial";
}

TEST(Header, SignatureInfoFilenameTimestampPadding) {
  Bytes file = standard_list();
  const std::size_t info_end = 18 + get_u16be(&file[16]);
  // SIGNATURE_INFO (15), DIGEST_ALGORITHM SHA-512 (3), SIGNATURE_ALGORITHM_INFO (8), RSA (0),
  // modulus 2048 (2), then SIGNATURE with 256 bytes.
  EXPECT_EQ(hex_at(file, info_end, 18),
            "07000f08000103090008"
            "0a000100"
            "0b000102");
  EXPECT_EQ(hex_at(file, info_end + 18, 3), "0c0100");
  const std::size_t after_signature = info_end + 21 + 256;
  EXPECT_EQ(hex_at(file, after_signature, 15), "0e000c49544c46696c652e746c7600");
  EXPECT_EQ(hex_at(file, after_signature + 15, 7), "0f0004" + fmt::format("{:08x}", kNow));
  const std::size_t header_length = get_u16be(&file[8]);
  const std::size_t padding_start = after_signature + 22;
  ASSERT_LE(padding_start, header_length);
  EXPECT_LT(header_length - padding_start, 4u);
  for (std::size_t i = padding_start; i < header_length; ++i)
    EXPECT_EQ(file[i], 13) << "padding byte at " << i;
}

TEST(Records, FollowTheHeaderWithEveryElement) {
  Bytes file = standard_list();
  const std::size_t header_length = get_u16be(&file[8]);
  EXPECT_EQ(hex_at(file, header_length, 3), "010002");  // RECORD_LENGTH
  auto parsed = parse_trust_list(file);
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->records.size(), 2u);
  const Record& sast = parsed->records[0];
  EXPECT_EQ(sast.offset, header_length);
  EXPECT_EQ(sast.role, 0);
  EXPECT_EQ(sast.subject_name, signer(0).cert.subject());
  EXPECT_EQ(sast.issuer_name, signer(0).cert.issuer());
  EXPECT_EQ(sast.serial, serial_bytes(signer(0).cert));
  EXPECT_EQ(sast.certificate, signer(0).cert.der());
  EXPECT_EQ(sast.signature, pki::certificate_signature_bits(signer(0).cert));
  EXPECT_EQ(sast.public_key[0], 0x30) << "RSA: PKCS#1 RSAPublicKey, a DER SEQUENCE";
  EXPECT_GT(sast.public_key.size(), 256u);
  EXPECT_EQ(hex_at(file, header_length + 5, 1), "03") << "SUBJECT_NAME comes first";
  const Record& capf = parsed->records[1];
  EXPECT_EQ(capf.offset, header_length + get_u16be(&file[header_length + 3]));
  EXPECT_EQ(role_name(capf.role), "CAPF");
  EXPECT_EQ(capf.public_key.size(), 65u) << "EC P-256: the uncompressed point";
  EXPECT_EQ(capf.public_key[0], 0x04);
  EXPECT_EQ(capf.certificate, ec_capf().cert.der());
}

TEST(RoundTrip, OurReaderVerifiesOurFile) {
  Bytes file = standard_list();
  auto parsed = parse_trust_list(file);
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_TRUE(parsed->verification.verified) << parsed->verification.problem;
  EXPECT_EQ(parsed->verification.signer, signer(0).cert.subject());
  EXPECT_EQ(parsed->header.filename, "ITLFile.tlv");
  EXPECT_EQ(parsed->header.timestamp, kNow);
  EXPECT_EQ(parsed->header.signer_version, kSignerVersion11);
  EXPECT_EQ(parsed->header.digest_algorithm, 3);
  EXPECT_EQ(parsed->header.signature.size(), 256u);
}

TEST(RoundTrip, Sha1AndSignerVersion10) {
  Bytes file = build(signer(0), {{Role::kSast, signer(0).cert}},
                     options(pki::Hash::kSha1, kSignerVersion10));
  auto parsed = parse_trust_list(file);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->verification.verified) << parsed->verification.problem;
  EXPECT_EQ(parsed->header.digest_algorithm, 1);
  EXPECT_EQ(parsed->header.signer_version, kSignerVersion10);
}

TEST(RoundTrip, DuringARotationTheOldSignerSignsAndBothAreListed) {
  Bytes file = build(signer(0), {{Role::kSast, signer(0).cert},
                                 {Role::kSast, signer(1).cert},
                                 {Role::kCapf, ec_capf().cert}});
  auto parsed = parse_trust_list(file);
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->verification.verified);
  EXPECT_EQ(parsed->verification.signer, signer(0).cert.subject());
  EXPECT_EQ(parsed->records[1].certificate, signer(1).cert.der());
}

TEST(Build, RefusesWhatPhonesCouldNotCheck) {
  auto unlisted =
      build_trust_list(signer(0).cert, signer(0).key, options(), {{Role::kSast, signer(1).cert}});
  ASSERT_FALSE(unlisted);
  EXPECT_NE(unlisted.error().message.find("is not listed as SAST"), std::string::npos);
  auto old_phones =
      build_trust_list(signer(0).cert, signer(0).key, options(pki::Hash::kSha512, kSignerVersion10),
                       {{Role::kSast, signer(0).cert}});
  ASSERT_FALSE(old_phones);
  EXPECT_NE(old_phones.error().message.find("know only sha1"), std::string::npos);
  auto wrong_key =
      build_trust_list(signer(0).cert, signer(1).key, options(), {{Role::kSast, signer(0).cert}});
  ASSERT_FALSE(wrong_key);
  auto ec = sign_with_header(ec_capf().cert, ec_capf().key, options(), {});
  ASSERT_FALSE(ec);
  EXPECT_NE(ec.error().message.find("no ec signature code"), std::string::npos);
  EXPECT_FALSE(pki::make_signer_certificate(ec_capf().key, "CN=x", 10, clock()));
}

// Each kind of damage gives its own error, naming the offset.
struct Damage {
  const char* name;
  void (*apply)(Bytes& file, std::size_t header_length, std::size_t second_record);
  const char* message;  // expected in the error (or in the verification problem)
  bool parses;          // the damage leaves a parsable file whose signature fails
};

const Damage kDamages[] = {
    {"bad signature", [](Bytes& f, std::size_t, std::size_t) { f.back() ^= 1; },
     "the signature does not verify with CN=ITLRecovery-test0", true},
    {"changed timestamp",
     [](Bytes& f, std::size_t, std::size_t) {
       f[18 + get_u16be(&f[16]) + 21 + 256 + 15 + 3 + 3] ^= 1;  // TIMESTAMP's last byte
     },
     "the signature does not verify", true},
    {"truncated record", [](Bytes& f, std::size_t, std::size_t) { f.resize(f.size() - 10); },
     "record 2 is truncated: RECORD_LENGTH says", false},
    {"length past the end of a record",
     [](Bytes& f, std::size_t h, std::size_t) {
       f[h + 6] = 0xff;  // SUBJECT_NAME's length
       f[h + 7] = 0xff;
     },
     "length 65535 runs past the end of record 1", false},
    {"unknown record tag", [](Bytes& f, std::size_t h, std::size_t) { f[h + 5] = 99; },
     "unknown record tag 99", false},
    {"unknown header tag", [](Bytes& f, std::size_t, std::size_t) { f[15] = 99; },
     "offset 15: unknown header tag 99", false},
    {"header length past the end",
     [](Bytes& f, std::size_t, std::size_t) { f.resize(get_u16be(&f[8]) - 1); },
     "offset 5: HEADER_LENGTH", false},
    {"not a trust list", [](Bytes& f, std::size_t, std::size_t) { f[0] = 0x30; },
     "offset 0: not a trust-list or signed file", false},
    {"record without RECORD_LENGTH", [](Bytes& f, std::size_t, std::size_t r) { f[r] = 3; },
     "record 2 starts with tag 3, not RECORD_LENGTH", false},
};

class Damaged : public ::testing::TestWithParam<Damage> {};

TEST_P(Damaged, GivesItsOwnError) {
  Bytes file = standard_list();
  const std::size_t header_length = get_u16be(&file[8]);
  const std::size_t second = header_length + get_u16be(&file[header_length + 3]);
  GetParam().apply(file, header_length, second);
  auto parsed = parse_trust_list(file);
  if (GetParam().parses) {
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_FALSE(parsed->verification.verified);
    EXPECT_NE(parsed->verification.problem.find(GetParam().message), std::string::npos)
        << parsed->verification.problem;
  } else {
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, ErrorCode::kMalformed);
    EXPECT_EQ(parsed.error().message.rfind("offset ", 0), 0u) << parsed.error().message;
    EXPECT_NE(parsed.error().message.find(GetParam().message), std::string::npos)
        << parsed.error().message;
  }
}

INSTANTIATE_TEST_SUITE_P(Files, Damaged, ::testing::ValuesIn(kDamages), [](const auto& info) {
  std::string n = info.param.name;
  for (char& c : n)
    c = std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return n;
});

TEST(Truncation, NoPrefixParsesWithAValidSignature) {
  Bytes file = standard_list();
  for (std::size_t n = 0; n < file.size(); ++n) {
    Bytes prefix(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(n));
    auto parsed = parse_trust_list(prefix);
    if (parsed) {
      EXPECT_FALSE(parsed->verification.verified) << "prefix of " << n << " bytes";
    } else {
      EXPECT_EQ(parsed.error().message.rfind("offset ", 0), 0u) << parsed.error().message;
    }
  }
}

TEST(Sgn, SignsTheFileBytesUnchanged) {
  const std::string content = "<device><deviceSecurityMode>2</deviceSecurityMode></device>\n";
  SigningOptions o = options();
  o.filename = "SEP001122334455.cnf.xml";
  auto signed_file = sign_file(signer(0).cert, signer(0).key, o, as_bytes(content));
  ASSERT_TRUE(signed_file) << signed_file.error().message;
  auto parsed = parse_signed_file(*signed_file, {signer(1).cert, signer(0).cert});
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_TRUE(parsed->verification.verified) << parsed->verification.problem;
  EXPECT_EQ(to_string(parsed->content), content);
  EXPECT_EQ(parsed->header.filename, "SEP001122334455.cnf.xml");

  auto unknown = parse_signed_file(*signed_file, {signer(1).cert});
  ASSERT_TRUE(unknown);
  EXPECT_FALSE(unknown->verification.verified);
  EXPECT_NE(unknown->verification.problem.find("no known signer"), std::string::npos);

  Bytes changed = *signed_file;
  changed.back() ^= 0x20;
  auto tampered = parse_signed_file(changed, {signer(0).cert});
  ASSERT_TRUE(tampered);
  EXPECT_FALSE(tampered->verification.verified);
  EXPECT_NE(tampered->verification.problem.find("does not verify"), std::string::npos);
}

TEST(Roles, NamesRoundTripAndUnknownOnesAreShownByNumber) {
  for (const char* name : {"SAST", "CCM", "CCM+TFTP", "TFTP", "CAPF", "HTTPS", "TVS"}) {
    auto role = parse_role(name);
    ASSERT_TRUE(role) << name;
    EXPECT_EQ(role_name(static_cast<std::uint16_t>(*role)), name);
  }
  EXPECT_EQ(*parse_role("ccm+tftp"), Role::kCcmTftp);
  EXPECT_EQ(static_cast<int>(*parse_role("tvs")), 21);
  EXPECT_EQ(role_name(99), "ROLE 99");
  auto bad = parse_role("capf2");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("use sast, ccm"), std::string::npos);
}

}  // namespace
}  // namespace capf::trustlist
