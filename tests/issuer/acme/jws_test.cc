#include "capf/issuer/online/acme/jws.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>

#include "capf/pki/key.h"

namespace capf::acme {
namespace {

nlohmann::json decode_json(const std::string& b64) {
  auto bytes = base64url_decode(b64);
  EXPECT_TRUE(bytes) << b64;
  return nlohmann::json::parse(to_string(bytes.value_or(Bytes{})), nullptr, false);
}

// R || S back to the DER form OpenSSL verifies.
Bytes raw_to_der(ByteView raw) {
  std::size_t half = raw.size() / 2;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(sig, BN_bin2bn(raw.data(), static_cast<int>(half), nullptr),
                 BN_bin2bn(raw.data() + half, static_cast<int>(half), nullptr));
  unsigned char* out = nullptr;
  int len = i2d_ECDSA_SIG(sig, &out);
  Bytes der(out, out + len);
  OPENSSL_free(out);
  ECDSA_SIG_free(sig);
  return der;
}

TEST(Base64url, EncodesWithoutPaddingInTheUrlAlphabet) {
  EXPECT_EQ(base64url(std::string_view("")), "");
  EXPECT_EQ(base64url(std::string_view("f")), "Zg");
  EXPECT_EQ(base64url(std::string_view("fo")), "Zm8");
  EXPECT_EQ(base64url(std::string_view("foo")), "Zm9v");
  EXPECT_EQ(base64url(std::string_view("foobar")), "Zm9vYmFy");
  EXPECT_EQ(base64url(Bytes{0xfb, 0xff, 0xbf}), "-_-_");
  EXPECT_EQ(base64url(Bytes{0xfb, 0xff}), "-_8");
}

TEST(Base64url, DecodesWhatItEncodesAndRefusesAnythingElse) {
  Bytes all;
  for (int i = 0; i < 256; ++i)
    all.push_back(static_cast<std::uint8_t>(i));
  for (std::size_t n = 0; n < all.size(); n += 7) {
    Bytes part(all.begin(), all.begin() + static_cast<long>(n));
    EXPECT_EQ(base64url_decode(base64url(part)), part) << n;
  }
  EXPECT_FALSE(base64url_decode("Zg=="));   // padding
  EXPECT_FALSE(base64url_decode("+/8"));    // the standard alphabet
  EXPECT_FALSE(base64url_decode("Zm9vY"));  // an impossible length
  EXPECT_FALSE(base64url_decode("Zh"));     // non-zero leftover bits
}

TEST(JwkThumbprint, MatchesTheRfc7638Example) {
  // RFC 7638 §3.1.
  nlohmann::json jwk = {
      {"kty", "RSA"},
      {"n",
       "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJE"
       "CPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2"
       "QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQ"
       "Fh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"},
      {"e", "AQAB"},
      {"alg", "RS256"},
      {"kid", "2011-04-29"}};
  auto thumbprint = jwk_thumbprint(jwk);
  ASSERT_TRUE(thumbprint) << thumbprint.error().message;
  EXPECT_EQ(*thumbprint, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
}

TEST(JwkThumbprint, RefusesKeysWithoutTheRequiredMembers) {
  EXPECT_FALSE(jwk_thumbprint(nlohmann::json{{"kty", "EC"}, {"crv", "P-256"}, {"x", "AA"}}));
  EXPECT_FALSE(jwk_thumbprint(nlohmann::json{{"kty", "oct"}, {"k", "AA"}}));
  EXPECT_FALSE(jwk_thumbprint(nlohmann::json::array()));
}

TEST(EcdsaDerToRaw, PadsShortValuesAndDropsDerSignBytes) {
  // SEQUENCE { INTEGER 1, INTEGER 0x80 (encoded with a leading zero) }
  Bytes der = {0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0x80};
  auto raw = ecdsa_der_to_raw(der, 32);
  ASSERT_TRUE(raw) << raw.error().message;
  ASSERT_EQ(raw->size(), 64u);
  Bytes expected(64, 0);
  expected[31] = 0x01;
  expected[63] = 0x80;
  EXPECT_EQ(*raw, expected);
}

TEST(EcdsaDerToRaw, RefusesValuesTooLongAndBytesThatAreNotDer) {
  Bytes der = {0x30, 0x08, 0x02, 0x03, 0x01, 0x02, 0x03, 0x02, 0x01, 0x01};
  EXPECT_FALSE(ecdsa_der_to_raw(der, 2));
  EXPECT_TRUE(ecdsa_der_to_raw(der, 3));
  EXPECT_FALSE(ecdsa_der_to_raw(Bytes{0x01, 0x02, 0x03}, 32));
  Bytes trailing = der;
  trailing.push_back(0);
  EXPECT_FALSE(ecdsa_der_to_raw(trailing, 32));
}

TEST(JwsSigner, SignsEs256WithTheJwkForNewAccountAndRawSignatures) {
  auto key = pki::PrivateKey::generate({KeyType::kEc, 256});
  ASSERT_TRUE(key);
  auto signer = JwsSigner::create(*key);
  ASSERT_TRUE(signer) << signer.error().message;
  EXPECT_EQ(signer->algorithm(), "ES256");
  EXPECT_EQ(signer->jwk()["kty"], "EC");
  EXPECT_EQ(signer->jwk()["crv"], "P-256");
  EXPECT_EQ(base64url_decode(signer->jwk()["x"].get<std::string>())->size(), 32u);
  EXPECT_EQ(base64url_decode(signer->jwk()["y"].get<std::string>())->size(), 32u);
  EXPECT_FALSE(signer->jwk().contains("d"));
  EXPECT_EQ(signer->thumbprint(), *jwk_thumbprint(signer->jwk()));

  // The JWK is the same public key as the SPKI: 04 || x || y ends the DER.
  Bytes spki = key->spki_der();
  Bytes point(spki.end() - 64, spki.end());
  Bytes xy = *base64url_decode(signer->jwk()["x"].get<std::string>());
  Bytes y = *base64url_decode(signer->jwk()["y"].get<std::string>());
  xy.insert(xy.end(), y.begin(), y.end());
  EXPECT_EQ(point, xy);

  for (int i = 0; i < 20; ++i) {  // short r or s values come up now and then; all must verify
    auto body =
        signer->sign("https://ca/new-acct", "nonce-1", "", R"({"termsOfServiceAgreed":true})");
    ASSERT_TRUE(body) << body.error().message;
    auto jws = nlohmann::json::parse(*body);
    ASSERT_EQ(jws.size(), 3u);
    nlohmann::json header = decode_json(jws["protected"]);
    EXPECT_EQ(header["alg"], "ES256");
    EXPECT_EQ(header["nonce"], "nonce-1");
    EXPECT_EQ(header["url"], "https://ca/new-acct");
    EXPECT_EQ(header["jwk"], signer->jwk());
    EXPECT_FALSE(header.contains("kid"));
    EXPECT_EQ(decode_json(jws["payload"]), nlohmann::json({{"termsOfServiceAgreed", true}}));
    Bytes signature = *base64url_decode(jws["signature"].get<std::string>());
    ASSERT_EQ(signature.size(), 64u);
    std::string input =
        jws["protected"].get<std::string>() + "." + jws["payload"].get<std::string>();
    Status verified =
        key->public_key().verify(pki::Hash::kSha256, as_bytes(input), raw_to_der(signature));
    EXPECT_TRUE(verified) << verified.error().message;
  }
}

TEST(JwsSigner, PostAsGetHasAnEmptyPayloadAndTheKid) {
  auto key = pki::PrivateKey::generate({KeyType::kEc, 256});
  auto signer = JwsSigner::create(*key);
  ASSERT_TRUE(signer);
  auto body = signer->sign("https://ca/order/1", "n2", "https://ca/acct/7", "");
  ASSERT_TRUE(body);
  auto jws = nlohmann::json::parse(*body);
  EXPECT_EQ(jws["payload"], "");
  nlohmann::json header = decode_json(jws["protected"]);
  EXPECT_EQ(header["kid"], "https://ca/acct/7");
  EXPECT_FALSE(header.contains("jwk"));
}

TEST(JwsSigner, SignsRs256WithAnRsaKey) {
  auto key = pki::PrivateKey::generate({KeyType::kRsa, 2048});
  ASSERT_TRUE(key);
  auto signer = JwsSigner::create(*key);
  ASSERT_TRUE(signer) << signer.error().message;
  EXPECT_EQ(signer->algorithm(), "RS256");
  EXPECT_EQ(signer->jwk()["e"], "AQAB");
  EXPECT_EQ(base64url_decode(signer->jwk()["n"].get<std::string>())->size(), 256u);
  auto body = signer->sign("https://ca/x", "n", "https://ca/acct/1", "{}");
  ASSERT_TRUE(body);
  auto jws = nlohmann::json::parse(*body);
  std::string input = jws["protected"].get<std::string>() + "." + jws["payload"].get<std::string>();
  Bytes signature = *base64url_decode(jws["signature"].get<std::string>());
  EXPECT_EQ(signature.size(), 256u);
  EXPECT_TRUE(key->public_key().verify(pki::Hash::kSha256, as_bytes(input), signature));
}

TEST(JwsSigner, RefusesKeysAcmeAccountsShouldNotUse) {
  for (KeySpec spec : {KeySpec{KeyType::kEc, 384}, KeySpec{KeyType::kRsa, 1024}}) {
    auto key = pki::PrivateKey::generate(spec);
    ASSERT_TRUE(key);
    auto signer = JwsSigner::create(*key);
    ASSERT_FALSE(signer);
    EXPECT_EQ(signer.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(signer.error().message.find("EC P-256"), std::string::npos) << signer.error().message;
  }
}

}  // namespace
}  // namespace capf::acme
