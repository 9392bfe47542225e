#include "capf/issuer/online/acme/jws.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>

#include <array>
#include <memory>
#include "capf/issuer/online/json_text.h"

namespace capf::acme {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

struct BnFree {
  void operator()(BIGNUM* b) const { BN_free(b); }
};
struct SigFree {
  void operator()(ECDSA_SIG* s) const { ECDSA_SIG_free(s); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;
using EcdsaSig = std::unique_ptr<ECDSA_SIG, SigFree>;

// One big-endian public-key parameter of `key` ("qx", "n", ...), left-padded to `width` bytes
// when width > 0, minimal otherwise (RFC 7518 §6.2.1.2 and §6.3.1.1).
Result<Bytes> key_param(EVP_PKEY* key, const char* name, int width) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(key, name, &raw) != 1 || raw == nullptr) {
    return make_error(ErrorCode::kCrypto, "cannot read the {} parameter of the acme account key",
                      name);
  }
  Bn value(raw);
  int size = width > 0 ? width : BN_num_bytes(value.get());
  Bytes out(static_cast<std::size_t>(size));
  if (BN_bn2binpad(value.get(), out.data(), size) != size) {
    return make_error(ErrorCode::kCrypto, "the {} parameter of the acme account key is too long",
                      name);
  }
  return out;
}

}  // namespace

std::string base64url(ByteView data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= data.size(); i += 3) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8) |
                      std::uint32_t{data[i + 2]};
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  std::size_t rest = data.size() - i;
  if (rest == 1) {
    std::uint32_t v = std::uint32_t{data[i]} << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    std::uint32_t v = (std::uint32_t{data[i]} << 16) | (std::uint32_t{data[i + 1]} << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::string base64url(std::string_view text) {
  return base64url(as_bytes(text));
}

std::optional<Bytes> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1)
    return std::nullopt;
  std::array<int, 256> table;
  table.fill(-1);
  for (int i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(kAlphabet[i])] = i;
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = table[static_cast<unsigned char>(c)];
    if (v < 0)
      return std::nullopt;
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>(acc >> bits));
      acc &= (1u << bits) - 1;
    }
  }
  if (acc != 0)  // leftover bits must be zero in a canonical encoding
    return std::nullopt;
  return out;
}

Result<Bytes> ecdsa_der_to_raw(ByteView der, std::size_t field_bytes) {
  const unsigned char* p = der.data();
  EcdsaSig sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig || p != der.data() + der.size()) {
    return make_error(ErrorCode::kMalformed, "the ecdsa signature is not one der ECDSA-Sig-Value");
  }
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  int width = static_cast<int>(field_bytes);
  Bytes out(field_bytes * 2);
  if (BN_bn2binpad(r, out.data(), width) != width ||
      BN_bn2binpad(s, out.data() + field_bytes, width) != width) {
    return make_error(ErrorCode::kMalformed, "an ecdsa signature value is longer than {} bytes",
                      field_bytes);
  }
  return out;
}

Result<std::string> jwk_thumbprint(const nlohmann::json& jwk) {
  if (!jwk.is_object() || !jwk.contains("kty") || !jwk["kty"].is_string())
    return make_error(ErrorCode::kInvalidArgument, "the jwk has no kty member");
  std::string kty = jwk["kty"].get<std::string>();
  std::vector<const char*> members;
  if (kty == "EC") {
    members = {"crv", "kty", "x", "y"};
  } else if (kty == "RSA") {
    members = {"e", "kty", "n"};
  } else {
    return make_error(ErrorCode::kInvalidArgument,
                      "jwk thumbprints are made here for kty EC and RSA only, not {}", kty);
  }
  // nlohmann::json keeps object members sorted by name, which is RFC 7638's order.
  nlohmann::json canonical = nlohmann::json::object();
  for (const char* name : members) {
    if (!jwk.contains(name) || !jwk[name].is_string())
      return make_error(ErrorCode::kInvalidArgument, "the {} jwk has no {} member", kty, name);
    canonical[name] = jwk[name];
  }
  return base64url(pki::digest(pki::Hash::kSha256, as_bytes(json_text(canonical))));
}

Result<JwsSigner> JwsSigner::create(const pki::PrivateKey& key) {
  KeySpec spec = key.spec();
  nlohmann::json jwk = nlohmann::json::object();
  std::string algorithm;
  if (spec.type == KeyType::kEc && spec.bits == 256) {
    CAPF_ASSIGN_OR_RETURN(Bytes x, key_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_X, 32));
    CAPF_ASSIGN_OR_RETURN(Bytes y, key_param(key.get(), OSSL_PKEY_PARAM_EC_PUB_Y, 32));
    jwk["kty"] = "EC";
    jwk["crv"] = "P-256";
    jwk["x"] = base64url(x);
    jwk["y"] = base64url(y);
    algorithm = "ES256";
  } else if (spec.type == KeyType::kRsa && spec.bits >= 2048) {
    CAPF_ASSIGN_OR_RETURN(Bytes n, key_param(key.get(), OSSL_PKEY_PARAM_RSA_N, 0));
    CAPF_ASSIGN_OR_RETURN(Bytes e, key_param(key.get(), OSSL_PKEY_PARAM_RSA_E, 0));
    jwk["kty"] = "RSA";
    jwk["n"] = base64url(n);
    jwk["e"] = base64url(e);
    algorithm = "RS256";
  } else {
    return make_error(ErrorCode::kInvalidArgument,
                      "the acme account key is {} {}: use an EC P-256 key (or RSA of 2048 bits or "
                      "more), or remove the file to have opencapf create one",
                      spec.type == KeyType::kEc ? "ec" : "rsa", spec.bits);
  }
  CAPF_ASSIGN_OR_RETURN(std::string thumbprint, jwk_thumbprint(jwk));
  return JwsSigner(key, std::move(algorithm), std::move(jwk), std::move(thumbprint));
}

Result<std::string> JwsSigner::sign(std::string_view url, std::string_view nonce,
                                    std::string_view kid, std::string_view payload) const {
  nlohmann::json header = nlohmann::json::object();
  header["alg"] = algorithm_;
  header["nonce"] = std::string(nonce);
  header["url"] = std::string(url);
  if (kid.empty()) {
    header["jwk"] = jwk_;
  } else {
    header["kid"] = std::string(kid);
  }
  std::string protected_b64 = base64url(json_text(header));
  std::string payload_b64 = base64url(payload);
  std::string signing_input = protected_b64 + "." + payload_b64;
  CAPF_ASSIGN_OR_RETURN(Bytes signature, key_.sign(pki::Hash::kSha256, as_bytes(signing_input)));
  if (algorithm_ == "ES256") {
    CAPF_ASSIGN_OR_RETURN(signature, ecdsa_der_to_raw(signature, 32));
  }
  nlohmann::json body = nlohmann::json::object();
  body["protected"] = protected_b64;
  body["payload"] = payload_b64;
  body["signature"] = base64url(signature);
  return json_text(body);
}

}  // namespace capf::acme
