// JWS for ACME (RFC 8555 §6.2, RFC 7515 flattened JSON serialization): base64url, the account
// key as a JWK (RFC 7517/7518), its RFC 7638 thumbprint, and signing requests with it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "capf/common/bytes.h"
#include "capf/common/result.h"
#include "capf/pki/key.h"

namespace capf::acme {

// Base64url without padding (RFC 7515 §2).
std::string base64url(ByteView data);
std::string base64url(std::string_view text);
// Accepts the unpadded alphabet only; nullopt on any other character or an impossible length.
std::optional<Bytes> base64url_decode(std::string_view text);

// A DER ECDSA-Sig-Value (what OpenSSL and PKCS#10 use) as the JWS form R || S, each left-padded
// to `field_bytes` (RFC 7518 §3.4: 32 for ES256). kMalformed if the DER does not parse or a value
// does not fit.
Result<Bytes> ecdsa_der_to_raw(ByteView der, std::size_t field_bytes);

// RFC 7638: base64url(SHA-256) of the required members of `jwk` ("crv","kty","x","y" for EC;
// "e","kty","n" for RSA) in lexicographic order without whitespace. kInvalidArgument for another
// kty or a missing member.
Result<std::string> jwk_thumbprint(const nlohmann::json& jwk);

// Signs ACME requests with an account key: ES256 for EC P-256 (preferred), RS256 for RSA of 2048
// bits or more. Immutable once made; thread-safe.
class JwsSigner {
 public:
  // kInvalidArgument for another key (EC P-384/521, RSA under 2048 bits), naming what to use.
  static Result<JwsSigner> create(const pki::PrivateKey& key);

  const std::string& algorithm() const { return algorithm_; }  // "ES256" or "RS256"
  const nlohmann::json& jwk() const { return jwk_; }           // the public key only
  const std::string& thumbprint() const { return thumbprint_; }

  // The request body for `url`: a flattened JWS whose protected header holds alg, nonce, url and
  // either kid (the account URL) or, when `kid` is empty, the jwk (newAccount). `payload` is the
  // JSON text to sign; "" makes a POST-as-GET (RFC 8555 §6.3). kCrypto if signing fails.
  Result<std::string> sign(std::string_view url, std::string_view nonce, std::string_view kid,
                           std::string_view payload) const;

 private:
  JwsSigner(pki::PrivateKey key, std::string algorithm, nlohmann::json jwk, std::string thumbprint)
      : key_(std::move(key)),
        algorithm_(std::move(algorithm)),
        jwk_(std::move(jwk)),
        thumbprint_(std::move(thumbprint)) {}

  pki::PrivateKey key_;
  std::string algorithm_;
  nlohmann::json jwk_;
  std::string thumbprint_;
};

}  // namespace capf::acme
