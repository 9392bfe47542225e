// The checks every SQL registry makes before it writes a token or a trust entry.
#include "capf/store/sql_rows.h"

namespace capf {
namespace {

constexpr std::size_t kSha256HexDigits = 64;

bool is_sha256_hex(const std::string& text) {
  return text.size() == kSha256HexDigits && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

}  // namespace

Result<AdminToken> token_to_store(const AdminToken& token, TimePoint now) {
  if (!is_sha256_hex(token.hash_hex)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "a token hash must be 64 lower-case hex digits (a SHA-256), got {} "
                      "characters: hash the secret before storing it",
                      token.hash_hex.size());
  }
  if (token.name.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "a token needs a name: give it one");
  }
  AdminToken stored = token;
  stored.created = now;
  stored.last_used.reset();
  stored.revoked.reset();
  if (stored.expires) {
    stored.expires = from_unix(to_unix(*stored.expires));  // as stored and read back
  }
  return stored;
}

Result<std::string> trust_fingerprint_to_store(const TrustEntry& entry) {
  CAPF_ASSIGN_OR_RETURN(std::string fingerprint, normalize_fingerprint(entry.fingerprint));
  if (fingerprint.size() != kSha256HexDigits) {
    return make_error(ErrorCode::kInvalidArgument,
                      "fingerprint '{}' has {} hex digits: give the 64 of a SHA-256",
                      entry.fingerprint, fingerprint.size());
  }
  return fingerprint;
}

Result<std::string> trust_prefix_to_match(const std::string& fingerprint) {
  CAPF_ASSIGN_OR_RETURN(std::string prefix, normalize_fingerprint(fingerprint));
  if (prefix.size() < kMinFingerprintPrefix) {
    return make_error(ErrorCode::kInvalidArgument,
                      "fingerprint prefix '{}' is too short: give at least {} hex digits",
                      fingerprint, kMinFingerprintPrefix);
  }
  return prefix;
}

Status check_trust_matches(std::size_t matches, const std::string& prefix,
                           const std::string& fingerprint, const std::string& store) {
  if (matches == 0) {
    return make_error(ErrorCode::kNotFound, "no certificate with fingerprint {} in {}", prefix,
                      store);
  }
  if (matches > 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "fingerprint prefix '{}' matches several certificates in {}: give more "
                      "digits",
                      fingerprint, store);
  }
  return ok();
}

Status check_request_to_insert(const CertificateRequestRecord& request) {
  if (request.id.empty() || request.device_name.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "cannot record a certificate request without an id and a device name (id "
                      "'{}', device '{}'): set both",
                      request.id, request.device_name);
  }
  return ok();
}

}  // namespace capf
