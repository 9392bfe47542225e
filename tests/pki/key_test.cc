// Keys: generation, PEM I/O, SPKI parsing and the two signature formats (docs/protocol.md §6.3.3).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "capf/pki/key.h"
#include "tests/support/result_matchers.h"
#include "tests/support/test_pki.h"

namespace capf::pki {
namespace {

using ::testing::HasSubstr;
using testing::hex;
using testing::run_shell;
using testing::TempDir;

const Bytes kAuthData = [] {
  Bytes data = Bytes{'S', 'E', 'P', '0', '0', '1', '1', '2', '2', '3', '3', '4', '4', '5', '5', 0};
  append(data, hex("3082 01d6 3082 017c a003 0201 0202 10"));
  return data;
}();

// The SPKI of the phone key in the docs/protocol.md §12 test vector (message 5).
const Bytes kVectorSpki = hex(
    "3059301306072a8648ce3d020106082a8648ce3d030107034200040217e617f0b6443928278f96999e69a23a4f2c"
    "152bdf6d6cdf66e5b80282d4ed194a7debcb97712d2dda3ca85aa8765a56f45fc758599652f2897c65306e5794");

TEST(Hash, IdsFollowTheWire) {
  EXPECT_EQ(*hash_from_id(1), Hash::kSha1);
  EXPECT_EQ(*hash_from_id(2), Hash::kSha256);
  EXPECT_EQ(*hash_from_id(3), Hash::kSha512);
  for (std::uint8_t bad : {0, 4, 255}) {
    auto hash = hash_from_id(bad);
    ASSERT_FALSE(hash);
    EXPECT_EQ(hash.error().code, ErrorCode::kMalformed);
  }
  EXPECT_EQ(digest(Hash::kSha1, kAuthData).size(), 20u);
  EXPECT_EQ(digest(Hash::kSha256, kAuthData).size(), 32u);
  EXPECT_EQ(digest(Hash::kSha512, kAuthData).size(), 64u);
  EXPECT_EQ(to_hex(digest(Hash::kSha256, as_bytes("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(PrivateKey, GeneratesEveryRsaSizeAPhoneIsAskedFor) {
  for (int bits : {1024, 2048, 3072}) {
    auto key = PrivateKey::generate({KeyType::kRsa, bits});
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(key->spec(), (KeySpec{KeyType::kRsa, bits}));
    EXPECT_EQ(key->public_key().spec(), (KeySpec{KeyType::kRsa, bits}));
  }
  EXPECT_EQ(testing::rsa_key().spki_der().size(), 294u);  // docs/protocol.md §4.3
}

TEST(PrivateKey, GeneratesRsa4096) {
  auto key = PrivateKey::generate({KeyType::kRsa, 4096});
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->spec(), (KeySpec{KeyType::kRsa, 4096}));
}

TEST(PrivateKey, GeneratesEcOnTheThreeCurvesWithNamedCurveEncoding) {
  const std::pair<int, std::size_t> cases[] = {{256, 91}, {384, 120}, {521, 158}};
  for (auto [bits, spki_size] : cases) {
    auto key = PrivateKey::generate({KeyType::kEc, bits});
    ASSERT_TRUE(key) << key.error().message;
    EXPECT_EQ(key->spec(), (KeySpec{KeyType::kEc, bits}));
    Bytes spki = key->spki_der();
    EXPECT_EQ(spki.size(), spki_size) << bits;  // named curve OID and an uncompressed point
    auto pub = PublicKey::from_spki_der(spki);
    ASSERT_TRUE(pub) << pub.error().message;
    EXPECT_EQ(pub->spec(), (KeySpec{KeyType::kEc, bits}));
  }
}

TEST(PrivateKey, RefusesUnsupportedSizes) {
  for (KeySpec spec : {KeySpec{KeyType::kRsa, 256}, KeySpec{KeyType::kRsa, 20000},
                       KeySpec{KeyType::kEc, 224}, KeySpec{KeyType::kEc, 512}}) {
    auto key = PrivateKey::generate(spec);
    ASSERT_FALSE(key) << to_string(spec);
    EXPECT_EQ(key.error().code, ErrorCode::kInvalidArgument);
  }
}

TEST(PrivateKey, PemRoundTripKeepsTheKey) {
  for (const PrivateKey* key : {&testing::rsa_key(), &testing::ec_key()}) {
    auto pem = key->to_pem();
    ASSERT_TRUE(pem) << pem.error().message;
    EXPECT_THAT(*pem, HasSubstr("-----BEGIN PRIVATE KEY-----"));
    auto back = PrivateKey::from_pem(*pem);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->spki_der(), key->spki_der());
    EXPECT_EQ(back->spec(), key->spec());
  }
}

TEST(PrivateKey, AMovedFromKeyHasNoSpkiRatherThanCrashing) {
  PrivateKey key = testing::ec_key();  // a copy: it shares the encoded SPKI
  const Bytes spki = key.spki_der();
  PrivateKey taken = std::move(key);
  EXPECT_EQ(taken.spki_der(), spki);
  EXPECT_TRUE(key.spki_der().empty());  // NOLINT(bugprone-use-after-move): what it guards
}

TEST(PrivateKey, EncryptedPemNeedsTheRightPassphrase) {
  const PrivateKey& key = testing::ec_key();
  auto pem = key.to_pem("correct horse");
  ASSERT_TRUE(pem) << pem.error().message;
  EXPECT_THAT(*pem, HasSubstr("-----BEGIN ENCRYPTED PRIVATE KEY-----"));

  auto right = PrivateKey::from_pem(*pem, "correct horse");
  ASSERT_TRUE(right) << right.error().message;
  EXPECT_EQ(right->spki_der(), key.spki_der());

  auto wrong = PrivateKey::from_pem(*pem, "battery staple");
  EXPECT_THAT(wrong, FailsWith(ErrorCode::kPermissionDenied, HasSubstr("wrong passphrase")));

  auto missing = PrivateKey::from_pem(*pem);
  EXPECT_THAT(missing,
              FailsWith(ErrorCode::kPermissionDenied,
                        ::testing::AllOf(HasSubstr("encrypted"), HasSubstr("no passphrase"))));

  auto empty = key.to_pem("");
  ASSERT_FALSE(empty);
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
}

TEST(PrivateKey, ReadsTraditionalPkcs1AndSec1PemIncludingEncrypted) {
  TempDir dir;
  for (const PrivateKey* key : {&testing::rsa_key(), &testing::ec_key()}) {
    std::string in = dir.write("key.pem", *key->to_pem());
    auto plain = run_shell("openssl pkey -in " + in + " -traditional -out " + dir.file("trad.pem"));
    ASSERT_EQ(plain.exit_code, 0) << plain.output;
    auto enc =
        run_shell("openssl pkey -in " + in + " -traditional -aes128 -passout pass:s3cret -out " +
                  dir.file("trad-enc.pem"));
    ASSERT_EQ(enc.exit_code, 0) << enc.output;

    std::string trad = to_string(dir.read("trad.pem"));
    EXPECT_THAT(trad, ::testing::AnyOf(HasSubstr("BEGIN RSA PRIVATE KEY"),
                                       HasSubstr("BEGIN EC PRIVATE KEY")));
    auto parsed = PrivateKey::from_pem(trad);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(parsed->spki_der(), key->spki_der());

    std::string trad_enc = to_string(dir.read("trad-enc.pem"));
    EXPECT_THAT(trad_enc, HasSubstr("Proc-Type: 4,ENCRYPTED"));
    auto decrypted = PrivateKey::from_pem(trad_enc, "s3cret");
    ASSERT_TRUE(decrypted) << decrypted.error().message;
    EXPECT_EQ(decrypted->spki_der(), key->spki_der());
    auto refused = PrivateKey::from_pem(trad_enc, "nope");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, ErrorCode::kPermissionDenied);
    auto no_pass = PrivateKey::from_pem(trad_enc);
    ASSERT_FALSE(no_pass);
    EXPECT_EQ(no_pass.error().code, ErrorCode::kPermissionDenied);
  }
}

TEST(PrivateKey, RefusesTextWithoutAKey) {
  auto key = PrivateKey::from_pem("hello");
  EXPECT_THAT(key, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("no pem private key")));
}

TEST(PrivateKey, AdoptRefusesPublicOnlyAndUnsupportedKeys) {
  Bytes spki = testing::rsa_key().spki_der();
  const unsigned char* p = spki.data();
  PKeyPtr public_only(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())));
  ASSERT_TRUE(public_only);
  auto adopted = PrivateKey::adopt(std::move(public_only));
  EXPECT_THAT(adopted, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("no private half")));

  PKeyPtr ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  ASSERT_TRUE(ed25519);
  auto refused = PrivateKey::adopt(std::move(ed25519));
  EXPECT_THAT(refused, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("ed25519")));

  auto none = PrivateKey::adopt(PKeyPtr());
  EXPECT_FALSE(none);
}

TEST(PublicKey, ParsesTheSpecVectorPhoneKey) {
  auto key = PublicKey::from_spki_der(kVectorSpki);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->spec(), (KeySpec{KeyType::kEc, 256}));
  EXPECT_EQ(key->spki_der(), kVectorSpki);
  EXPECT_EQ(key->fingerprint_sha256(), to_hex(digest(Hash::kSha256, kVectorSpki)));
}

TEST(PublicKey, RejectsTrailingAndTruncatedBytes) {
  Bytes trailing = kVectorSpki;
  trailing.push_back(0);
  auto with_trailing = PublicKey::from_spki_der(trailing);
  EXPECT_THAT(with_trailing, FailsWith(ErrorCode::kMalformed, HasSubstr("trailing")));

  for (std::size_t len = 0; len < kVectorSpki.size(); ++len) {
    auto truncated = PublicKey::from_spki_der(ByteView(kVectorSpki).first(len));
    ASSERT_FALSE(truncated) << len;
    EXPECT_EQ(truncated.error().code, ErrorCode::kMalformed) << len;
  }
}

TEST(PublicKey, RejectsKeysOtherThanRsaAndTheThreeCurves) {
  PKeyPtr ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  PKeyPtr k256(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp256k1"));
  PKeyPtr p224(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "secp224r1"));
  for (EVP_PKEY* key : {ed25519.get(), k256.get(), p224.get()}) {
    ASSERT_NE(key, nullptr);
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(key, &der);
    ASSERT_GT(len, 0);
    Bytes spki(der, der + len);
    OPENSSL_free(der);
    auto parsed = PublicKey::from_spki_der(spki);
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument) << parsed.error().message;
  }
}

TEST(PublicKey, RejectsEcKeysWithExplicitCurveParameters) {
  TempDir dir;
  auto made =
      run_shell("openssl ecparam -name prime256v1 -param_enc explicit -genkey -noout -out " +
                dir.file("k.pem") + " && openssl pkey -in " + dir.file("k.pem") +
                " -pubout -outform DER -out " + dir.file("pub.der"));
  ASSERT_EQ(made.exit_code, 0) << made.output;
  auto parsed = PublicKey::from_spki_der(dir.read("pub.der"));
  EXPECT_THAT(parsed, FailsWith(ErrorCode::kInvalidArgument, HasSubstr("explicit")));
}

// ---- the proof of possession (docs/protocol.md §6.3.3) ----

TEST(Proof, RsaProofIsPkcs1Type1OverTheBareHash) {
  const PrivateKey& key = testing::rsa_key();
  auto sig = key.sign_proof(Hash::kSha1, kAuthData);
  ASSERT_TRUE(sig) << sig.error().message;
  ASSERT_EQ(sig->size(), 256u);
  // Undo the RSA operation without removing padding and look at the block itself.
  PKeyCtxPtr ctx(EVP_PKEY_CTX_new(key.public_key().get(), nullptr));
  ASSERT_EQ(EVP_PKEY_verify_recover_init(ctx.get()), 1);
  ASSERT_EQ(EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_NO_PADDING), 1);
  Bytes block(256);
  std::size_t len = block.size();
  ASSERT_EQ(EVP_PKEY_verify_recover(ctx.get(), block.data(), &len, sig->data(), sig->size()), 1);
  ASSERT_EQ(len, 256u);
  Bytes expected = {0x00, 0x01};
  expected.insert(expected.end(), 233, 0xff);  // 256 - 3 - 20
  expected.push_back(0x00);
  append(expected, digest(Hash::kSha1, kAuthData));
  EXPECT_EQ(to_hex(block), to_hex(expected));
}

TEST(Proof, RsaAndEcProofsVerifyForBothHashes) {
  for (const PrivateKey* key :
       {&testing::rsa_key(), &testing::ec_key(), &testing::test_key({KeyType::kEc, 384})}) {
    for (Hash hash : {Hash::kSha1, Hash::kSha512}) {
      auto sig = key->sign_proof(hash, kAuthData);
      ASSERT_TRUE(sig) << sig.error().message;
      auto verified = key->public_key().verify_proof(hash, kAuthData, *sig);
      EXPECT_TRUE(verified) << verified.error().message;
    }
  }
}

TEST(Proof, OpensslCliRawHashSignatureVerifies) {
  TempDir dir;
  for (const PrivateKey* key : {&testing::rsa_key(), &testing::ec_key()}) {
    std::string key_file = dir.write("key.pem", *key->to_pem());
    std::string data_file = dir.write("auth.bin", kAuthData);
    for (std::string_view hash_name : {"sha1", "sha512"}) {
      Hash hash = hash_name == "sha1" ? Hash::kSha1 : Hash::kSha512;
      auto made =
          run_shell("openssl dgst -" + std::string(hash_name) + " -binary -out " +
                    dir.file("hash.bin") + " " + data_file + " && openssl pkeyutl -sign -inkey " +
                    key_file + " -in " + dir.file("hash.bin") + " -out " + dir.file("sig.bin"));
      ASSERT_EQ(made.exit_code, 0) << made.output;
      Bytes sig = dir.read("sig.bin");
      auto verified = key->public_key().verify_proof(hash, kAuthData, sig);
      EXPECT_TRUE(verified) << hash_name << ": " << verified.error().message;
    }
  }
}

TEST(Proof, OpensslCliRecoversTheBareHashFromOurRsaProof) {
  TempDir dir;
  const PrivateKey& key = testing::rsa_key();
  std::string key_file = dir.write("key.pem", *key.to_pem());
  auto sig = key.sign_proof(Hash::kSha512, kAuthData);
  ASSERT_TRUE(sig);
  dir.write("sig.bin", *sig);
  auto recovered =
      run_shell("openssl pkey -in " + key_file + " -pubout -out " + dir.file("pub.pem") +
                " && openssl pkeyutl -verifyrecover -pubin -inkey " + dir.file("pub.pem") +
                " -in " + dir.file("sig.bin") + " -out " + dir.file("hash.bin"));
  ASSERT_EQ(recovered.exit_code, 0) << recovered.output;
  EXPECT_EQ(dir.read("hash.bin"), digest(Hash::kSha512, kAuthData));
}

TEST(Proof, AcceptsRsaProofCarryingADigestInfoForTheSameHash) {
  const PrivateKey& key = testing::rsa_key();
  // A standard PKCS#1 v1.5 signature is type-1 padding around DigestInfo(hash).
  for (Hash hash : {Hash::kSha1, Hash::kSha512}) {
    auto sig = key.sign(hash, kAuthData);
    ASSERT_TRUE(sig);
    auto verified = key.public_key().verify_proof(hash, kAuthData, *sig);
    EXPECT_TRUE(verified) << verified.error().message;
  }
}

TEST(Proof, RefusesWrongDataKeyLengthAndBytes) {
  for (const PrivateKey* key : {&testing::rsa_key(), &testing::ec_key()}) {
    const bool rsa = key->spec().type == KeyType::kRsa;
    const PrivateKey& other = rsa ? testing::rsa_key(1) : testing::ec_key(1);
    PublicKey pub = key->public_key();
    auto sig = key->sign_proof(Hash::kSha1, kAuthData);
    ASSERT_TRUE(sig);
    ASSERT_TRUE(pub.verify_proof(Hash::kSha1, kAuthData, *sig));

    Bytes other_data = kAuthData;
    other_data[3] ^= 1;
    auto wrong_data = pub.verify_proof(Hash::kSha1, other_data, *sig);
    ASSERT_FALSE(wrong_data);
    EXPECT_EQ(wrong_data.error().code, ErrorCode::kCrypto);

    auto wrong_key = other.public_key().verify_proof(Hash::kSha1, kAuthData, *sig);
    ASSERT_FALSE(wrong_key);
    EXPECT_EQ(wrong_key.error().code, ErrorCode::kCrypto);

    Bytes truncated(sig->begin(), sig->end() - 1);
    auto short_sig = pub.verify_proof(Hash::kSha1, kAuthData, truncated);
    ASSERT_FALSE(short_sig);
    EXPECT_EQ(short_sig.error().code, ErrorCode::kCrypto);
    if (rsa) {
      EXPECT_THAT(short_sig.error().message, HasSubstr("255 bytes"));
    }

    for (std::size_t at : {std::size_t{0}, sig->size() / 2, sig->size() - 1}) {
      Bytes flipped = *sig;
      flipped[at] ^= 0x40;
      auto bad = pub.verify_proof(Hash::kSha1, kAuthData, flipped);
      ASSERT_FALSE(bad) << at;
      EXPECT_EQ(bad.error().code, ErrorCode::kCrypto);
    }

    auto as_sha512 = pub.verify_proof(Hash::kSha512, kAuthData, *sig);
    ASSERT_FALSE(as_sha512);
    EXPECT_EQ(as_sha512.error().code, ErrorCode::kCrypto);
    auto sig512 = key->sign_proof(Hash::kSha512, kAuthData);
    ASSERT_TRUE(sig512);
    EXPECT_FALSE(pub.verify_proof(Hash::kSha1, kAuthData, *sig512));

    EXPECT_FALSE(pub.verify_proof(Hash::kSha1, kAuthData, {}));
  }
}

TEST(Proof, RefusesDigestInfoForADifferentHash) {
  const PrivateKey& key = testing::rsa_key();
  auto sig = key.sign(Hash::kSha256, kAuthData);  // DigestInfo(sha256) is neither form for sha1
  ASSERT_TRUE(sig);
  auto verified = key.public_key().verify_proof(Hash::kSha1, kAuthData, *sig);
  ASSERT_FALSE(verified);
  EXPECT_THAT(verified.error().message, HasSubstr("not the sha1 hash"));
}

TEST(Signature, StandardSignaturesVerifyAndDifferFromProofs) {
  for (const PrivateKey* key : {&testing::rsa_key(), &testing::ec_key()}) {
    for (Hash hash : {Hash::kSha1, Hash::kSha256, Hash::kSha512}) {
      auto sig = key->sign(hash, kAuthData);
      ASSERT_TRUE(sig) << sig.error().message;
      EXPECT_TRUE(key->public_key().verify(hash, kAuthData, *sig));
      Bytes other = kAuthData;
      other.push_back(1);
      auto bad = key->public_key().verify(hash, other, *sig);
      ASSERT_FALSE(bad);
      EXPECT_EQ(bad.error().code, ErrorCode::kCrypto);
    }
  }
  // A raw-hash RSA proof is not a standard signature.
  auto proof = testing::rsa_key().sign_proof(Hash::kSha256, kAuthData);
  ASSERT_TRUE(proof);
  EXPECT_FALSE(testing::rsa_key().public_key().verify(Hash::kSha256, kAuthData, *proof));
}

}  // namespace
}  // namespace capf::pki
