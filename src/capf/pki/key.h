// Keys: generation, PEM/DER I/O, and the signatures CAPF makes and checks.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "capf/common/bytes.h"
#include "capf/common/result.h"
#include "capf/domain/device.h"
#include "capf/pki/openssl_ptr.h"

namespace capf::pki {

// Hash choices by their CAPF hash id numbers (docs/protocol.md §4).
enum class Hash { kSha1 = 1, kSha256 = 2, kSha512 = 3 };
Result<Hash> hash_from_id(std::uint8_t id);  // kMalformed for an unknown id
Bytes digest(Hash hash, ByteView data);
// A phone key's fingerprint as the registry stores it (certificate_requests.spki_fingerprint) and
// ACME tickets carry it: SHA-256 over the DER SubjectPublicKeyInfo, lower-case hex, no separators.
std::string spki_fingerprint(ByteView spki_der);

class PublicKey {
 public:
  // Parses a DER SubjectPublicKeyInfo; kMalformed if it does not parse or has trailing bytes,
  // kInvalidArgument for a key type other than RSA or EC on P-256/384/521.
  static Result<PublicKey> from_spki_der(ByteView der);

  KeySpec spec() const;  // RSA with its modulus bits, or EC with its curve size
  Bytes spki_der() const;
  std::string fingerprint_sha256() const;  // hex of SHA-256 over the SPKI DER

  // The phone's proof of possession (docs/protocol.md §6.3.3): RSA raw-hash PKCS#1 v1.5 type 1
  // *without* DigestInfo (a DigestInfo form for the same hash is also accepted); EC: DER ECDSA over
  // the hash. kCrypto with what did not match.
  Status verify_proof(Hash hash, ByteView signed_bytes, ByteView signature) const;
  // A standard signature (RSA PKCS#1 v1.5 with DigestInfo, or DER ECDSA), as in a PKCS#10.
  Status verify(Hash hash, ByteView signed_bytes, ByteView signature) const;

  EVP_PKEY* get() const { return key_.get(); }
  static PublicKey adopt(PKeyPtr key) { return PublicKey(std::move(key)); }

 private:
  explicit PublicKey(PKeyPtr key) : key_(std::move(key)) {}
  std::shared_ptr<EVP_PKEY> key_;
};

class PrivateKey {
 public:
  // RSA (512..16384 bits) or EC (256, 384, 521). Blocks for the key generation.
  static Result<PrivateKey> generate(const KeySpec& spec);
  // PEM (PKCS#8, PKCS#1 or SEC1, encrypted or not). An encrypted key without the passphrase, or
  // with the wrong one, is kPermissionDenied with a message that says so; text without a key, or a
  // key other than RSA or EC on P-256/384/521, is kInvalidArgument.
  static Result<PrivateKey> from_pem(std::string_view pem,
                                     std::optional<std::string_view> passphrase = std::nullopt);
  static Result<PrivateKey> adopt(PKeyPtr key);  // kInvalidArgument if it is not a private key

  // PKCS#8 PEM, encrypted with AES-256-CBC when a passphrase is given.
  Result<std::string> to_pem(std::optional<std::string_view> passphrase = std::nullopt) const;
  KeySpec spec() const;
  PublicKey public_key() const;
  // Encoded once, when the key is made: OpenSSL 3.0 encodes a provider key through its encoder
  // registry, which cost a phone simulator a third of its CPU when asked again per session.
  // Empty for a moved-from key, as PublicKey's is for an empty one.
  Bytes spki_der() const { return spki_ ? *spki_ : Bytes{}; }

  // The phone-side proof format of docs/protocol.md §6.3.3 (see PublicKey::verify_proof).
  Result<Bytes> sign_proof(Hash hash, ByteView data) const;
  // A standard signature (RSA PKCS#1 v1.5 with DigestInfo, or DER ECDSA).
  Result<Bytes> sign(Hash hash, ByteView data) const;

  EVP_PKEY* get() const { return key_.get(); }

 private:
  explicit PrivateKey(std::shared_ptr<EVP_PKEY> key);
  std::shared_ptr<EVP_PKEY> key_;
  std::shared_ptr<const Bytes> spki_;  // shared by copies, as the key is
};

}  // namespace capf::pki
