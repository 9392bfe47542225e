#include "capf/pki/key.h"

#include <algorithm>
#include <array>
#include <climits>
#include <cstring>

#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "capf/pki/ossl_util.h"
#include "capf/pki/spki.h"

namespace capf::pki {

using detail::ossl_error;

namespace {

// DigestInfo prefixes of RFC 8017 §9.2 note 1 (AlgorithmIdentifier with NULL parameters).
constexpr std::array<std::uint8_t, 15> kSha1Prefix = {
    0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14};
constexpr std::array<std::uint8_t, 19> kSha256Prefix = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                                        0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                                        0x01, 0x05, 0x00, 0x04, 0x20};
constexpr std::array<std::uint8_t, 19> kSha512Prefix = {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60,
                                                        0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                                                        0x03, 0x05, 0x00, 0x04, 0x40};

ByteView digest_info_prefix(Hash hash) {
  switch (hash) {
    case Hash::kSha1:
      return kSha1Prefix;
    case Hash::kSha256:
      return kSha256Prefix;
    case Hash::kSha512:
      return kSha512Prefix;
  }
  return {};
}

bool equal_bytes(ByteView a, ByteView b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

Bytes spki_of(const EVP_PKEY* key) {
  return detail::to_der(key, i2d_PUBKEY);
}

// Whether the private half can be read out of `key`, as from a software key. A key whose private
// half stays in a token cannot: the libp11 engine's RSA keys refuse the parameter and its EC keys
// report a zero scalar.
bool private_half_readable(EVP_PKEY* key) {
  const char* param = EVP_PKEY_is_a(key, "RSA") ? OSSL_PKEY_PARAM_RSA_D : OSSL_PKEY_PARAM_PRIV_KEY;
  BIGNUM* value = nullptr;
  bool readable =
      EVP_PKEY_get_bn_param(key, param, &value) == 1 && value != nullptr && !BN_is_zero(value);
  BN_clear_free(value);
  ERR_clear_error();
  return readable;
}

// Whether `key` holds (or can use) a private half. Keys whose private half stays in a token (an
// HSM through an engine or provider) do not export it, so those are asked for a signature.
bool has_private_half(EVP_PKEY* key) {
  if (private_half_readable(key)) {
    return true;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  static constexpr unsigned char kProbe[] = "opencapf private key probe";
  std::size_t len = 0;
  bool signs = ctx && EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) == 1 &&
               EVP_DigestSign(ctx.get(), nullptr, &len, kProbe, sizeof(kProbe)) == 1;
  Bytes sig(len);
  signs = signs && EVP_DigestSign(ctx.get(), sig.data(), &len, kProbe, sizeof(kProbe)) == 1;
  ERR_clear_error();
  return signs;
}

struct PassphraseRequest {
  std::optional<std::string_view> passphrase;
  bool asked = false;
};

int passphrase_callback(char* buf, int size, int /*rwflag*/, void* user) {
  auto* request = static_cast<PassphraseRequest*>(user);
  request->asked = true;
  if (!request->passphrase || request->passphrase->size() > static_cast<std::size_t>(size)) {
    return -1;
  }
  std::memcpy(buf, request->passphrase->data(), request->passphrase->size());
  return static_cast<int>(request->passphrase->size());
}

// OpenSSL's two calls of a signature: `sign(nullptr, &len)` for its size, then into a buffer of
// that size. kCrypto `size_failure` or `sign_failure` when the first or the second fails.
template <typename Sign>
Result<Bytes> sign_in_two_calls(Sign sign, std::string_view size_failure,
                                std::string_view sign_failure) {
  std::size_t len = 0;
  if (sign(nullptr, &len) != 1) {
    return ossl_error(ErrorCode::kCrypto, size_failure);
  }
  Bytes sig(len);
  if (sign(sig.data(), &len) != 1) {
    return ossl_error(ErrorCode::kCrypto, sign_failure);
  }
  sig.resize(len);
  return sig;
}

}  // namespace

Result<Hash> hash_from_id(std::uint8_t id) {
  switch (id) {
    case 1:
      return Hash::kSha1;
    case 2:
      return Hash::kSha256;
    case 3:
      return Hash::kSha512;
    default:
      return make_error(ErrorCode::kMalformed,
                        "unknown hash id {}: expected 1 (sha1), 2 (sha256) or 3 (sha512)", id);
  }
}

Bytes digest(Hash hash, ByteView data) {
  Bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &len, detail::evp_md(hash), nullptr) != 1) {
    ERR_clear_error();
    return {};
  }
  out.resize(len);
  return out;
}

// ---- PublicKey ----

Result<PublicKey> PublicKey::from_spki_der(ByteView der) {
  CAPF_ASSIGN_OR_RETURN(PKeyPtr key, detail::parse_spki(der));
  return PublicKey(std::move(key));
}

KeySpec PublicKey::spec() const {
  return detail::key_spec_of(key_.get());
}

Bytes PublicKey::spki_der() const {
  return key_ ? spki_of(key_.get()) : Bytes{};
}

std::string spki_fingerprint(ByteView spki_der) {
  return to_hex(digest(Hash::kSha256, spki_der));
}

std::string PublicKey::fingerprint_sha256() const {
  return spki_fingerprint(spki_der());
}

Status PublicKey::verify_proof(Hash hash, ByteView signed_bytes, ByteView signature) const {
  if (!key_) {
    return make_error(ErrorCode::kCrypto, "no public key to check the proof with");
  }
  Bytes h = digest(hash, signed_bytes);
  PKeyCtxPtr ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
  if (!ctx) {
    return ossl_error(ErrorCode::kCrypto, "cannot use the public key");
  }
  if (EVP_PKEY_is_a(key_.get(), "RSA")) {
    const auto modulus_len = static_cast<std::size_t>(EVP_PKEY_get_size(key_.get()));
    if (signature.size() != modulus_len) {
      return make_error(ErrorCode::kCrypto,
                        "rsa proof signature is {} bytes but the key's modulus is {} bytes",
                        signature.size(), modulus_len);
    }
    Bytes recovered(modulus_len);
    std::size_t recovered_len = recovered.size();
    if (EVP_PKEY_verify_recover_init(ctx.get()) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1 ||
        EVP_PKEY_verify_recover(ctx.get(), recovered.data(), &recovered_len, signature.data(),
                                signature.size()) != 1) {
      return ossl_error(ErrorCode::kCrypto,
                        "rsa proof signature does not verify with the certificate's key");
    }
    recovered.resize(recovered_len);
    if (equal_bytes(recovered, h)) {
      return ok();
    }
    ByteView prefix = digest_info_prefix(hash);
    if (recovered.size() == prefix.size() + h.size() &&
        equal_bytes(ByteView(recovered).first(prefix.size()), prefix) &&
        equal_bytes(ByteView(recovered).subspan(prefix.size()), h)) {
      return ok();
    }
    return make_error(ErrorCode::kCrypto,
                      "rsa proof signature holds {} bytes that are not the {} hash of the signed "
                      "data (bare or in a digestinfo)",
                      recovered.size(), detail::hash_name(hash));
  }
  if (EVP_PKEY_verify_init(ctx.get()) != 1 ||
      EVP_PKEY_verify(ctx.get(), signature.data(), signature.size(), h.data(), h.size()) != 1) {
    return ossl_error(ErrorCode::kCrypto,
                      fmt::format("ecdsa proof signature over the {} hash does not verify",
                                  detail::hash_name(hash)));
  }
  return ok();
}

Status PublicKey::verify(Hash hash, ByteView signed_bytes, ByteView signature) const {
  if (!key_) {
    return make_error(ErrorCode::kCrypto, "no public key to check the signature with");
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx ||
      EVP_DigestVerifyInit(ctx.get(), nullptr, detail::evp_md(hash), nullptr, key_.get()) != 1 ||
      EVP_DigestVerify(ctx.get(), signature.data(), signature.size(), signed_bytes.data(),
                       signed_bytes.size()) != 1) {
    return ossl_error(ErrorCode::kCrypto,
                      fmt::format("{} signature does not verify", detail::hash_name(hash)));
  }
  return ok();
}

// ---- PrivateKey ----

Result<PrivateKey> PrivateKey::generate(const KeySpec& spec) {
  PKeyCtxPtr ctx;
  switch (spec.type) {
    case KeyType::kRsa: {
      if (spec.bits < 512 || spec.bits > 16384) {
        return make_error(ErrorCode::kInvalidArgument, "rsa key size {} is outside 512..16384 bits",
                          spec.bits);
      }
      ctx.reset(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
      if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
          EVP_PKEY_CTX_set_rsa_keygen_bits(ctx.get(), spec.bits) != 1) {
        return ossl_error(ErrorCode::kCrypto, "cannot set up rsa key generation");
      }
      break;
    }
    case KeyType::kEc: {
      const char* curve = spec.bits == 256   ? "prime256v1"
                          : spec.bits == 384 ? "secp384r1"
                          : spec.bits == 521 ? "secp521r1"
                                             : nullptr;
      if (curve == nullptr) {
        return make_error(ErrorCode::kInvalidArgument,
                          "ec curve size {} is not supported: use 256, 384 or 521", spec.bits);
      }
      ctx.reset(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
      if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
          EVP_PKEY_CTX_set_group_name(ctx.get(), curve) != 1) {
        return ossl_error(ErrorCode::kCrypto, "cannot set up ec key generation");
      }
      break;
    }
  }
  if (!ctx) {
    return make_error(ErrorCode::kInvalidArgument, "unknown key type {}",
                      static_cast<int>(spec.type));
  }
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &raw) != 1 || raw == nullptr) {
    return ossl_error(ErrorCode::kCrypto, fmt::format("{} key generation failed", to_string(spec)));
  }
  return PrivateKey(std::shared_ptr<EVP_PKEY>(raw, EVP_PKEY_free));
}

PrivateKey::PrivateKey(std::shared_ptr<EVP_PKEY> key)
    : key_(std::move(key)), spki_(std::make_shared<const Bytes>(spki_of(key_.get()))) {}

Result<PrivateKey> PrivateKey::from_pem(std::string_view pem,
                                        std::optional<std::string_view> passphrase) {
  BioPtr bio = detail::memory_bio(as_bytes(pem));
  if (!bio) {
    return ossl_error(ErrorCode::kInvalidArgument, "cannot read the private key text");
  }
  PassphraseRequest request{passphrase, false};
  PKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, passphrase_callback, &request));
  if (!key) {
    if (request.asked && !passphrase) {
      ERR_clear_error();
      return make_error(ErrorCode::kPermissionDenied,
                        "the private key is encrypted and no passphrase was given");
    }
    if (request.asked) {
      ERR_clear_error();
      return make_error(ErrorCode::kPermissionDenied,
                        "wrong passphrase for the encrypted private key");
    }
    return ossl_error(ErrorCode::kInvalidArgument,
                      "no pem private key (pkcs#8, pkcs#1 or sec1) in the text");
  }
  return adopt(std::move(key));
}

Result<PrivateKey> PrivateKey::adopt(PKeyPtr key) {
  if (!key) {
    return make_error(ErrorCode::kInvalidArgument, "no private key given");
  }
  CAPF_TRY(detail::check_supported_key(key.get(), "private key"));
  if (!has_private_half(key.get())) {
    return make_error(ErrorCode::kInvalidArgument, "the key has no private half");
  }
  return PrivateKey(std::shared_ptr<EVP_PKEY>(key.release(), EVP_PKEY_free));
}

Result<std::string> PrivateKey::to_pem(std::optional<std::string_view> passphrase) const {
  if (passphrase && (passphrase->empty() || passphrase->size() > INT_MAX)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the passphrase for the private key must not be empty");
  }
  if (!private_half_readable(key_.get())) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the key lives in a PKCS#11 token and cannot be written to a file");
  }
  BioPtr bio(BIO_new(BIO_s_mem()));
  const EVP_CIPHER* cipher = passphrase ? EVP_aes_256_cbc() : nullptr;
  if (!bio || PEM_write_bio_PKCS8PrivateKey(
                  bio.get(), key_.get(), cipher, passphrase ? passphrase->data() : nullptr,
                  passphrase ? static_cast<int>(passphrase->size()) : 0, nullptr, nullptr) != 1) {
    return ossl_error(ErrorCode::kCrypto, "cannot write the private key as pkcs#8 pem");
  }
  return detail::bio_text(bio.get());
}

KeySpec PrivateKey::spec() const {
  return detail::key_spec_of(key_.get());
}

PublicKey PrivateKey::public_key() const {
  auto pub = detail::parse_spki(spki_der());
  return PublicKey::adopt(pub ? std::move(pub).value() : PKeyPtr());
}

Result<Bytes> PrivateKey::sign_proof(Hash hash, ByteView data) const {
  Bytes h = digest(hash, data);
  PKeyCtxPtr ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1) {
    return ossl_error(ErrorCode::kCrypto, "cannot sign with the private key");
  }
  // No signature digest is set: the RSA input is the bare hash, padded as PKCS#1 type 1 without
  // a DigestInfo (docs/protocol.md §6.3.3); ECDSA signs the hash as given.
  if (EVP_PKEY_is_a(key_.get(), "RSA") &&
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
    return ossl_error(ErrorCode::kCrypto, "cannot select pkcs#1 padding");
  }
  return sign_in_two_calls(
      [&](unsigned char* out, std::size_t* len) {
        return EVP_PKEY_sign(ctx.get(), out, len, h.data(), h.size());
      },
      "cannot size the proof signature",
      fmt::format("cannot sign the {} hash as a proof", detail::hash_name(hash)));
}

Result<Bytes> PrivateKey::sign(Hash hash, ByteView data) const {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, detail::evp_md(hash), nullptr, key_.get()) != 1) {
    return ossl_error(ErrorCode::kCrypto, "cannot sign with the private key");
  }
  return sign_in_two_calls(
      [&](unsigned char* out, std::size_t* len) {
        return EVP_DigestSign(ctx.get(), out, len, data.data(), data.size());
      },
      "cannot sign with the private key",
      fmt::format("{} signature failed", detail::hash_name(hash)));
}

}  // namespace capf::pki
