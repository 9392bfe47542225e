#include "capf/service/authenticator.h"

#include <algorithm>
#include <cctype>

#include "capf/pki/verify.h"

namespace capf {

namespace {

AuthOutcome refuse(FailureReason reason, std::string detail, std::string method,
                   std::string serial = {}) {
  AuthOutcome out;
  out.ok = false;
  out.reason = reason;
  out.detail = std::move(detail);
  out.method = std::move(method);
  out.certificate_serial = std::move(serial);
  return out;
}

AuthOutcome accept(std::string method, std::string serial = {}) {
  AuthOutcome out;
  out.ok = true;
  out.method = std::move(method);
  out.certificate_serial = std::move(serial);
  return out;
}

bool contains_ci(std::string_view haystack, std::string_view needle) {
  auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                        [](char a, char b) {
                          return std::toupper(static_cast<unsigned char>(a)) ==
                                 std::toupper(static_cast<unsigned char>(b));
                        });
  return it != haystack.end();
}

}  // namespace

AuthOutcome Authenticator::authenticate(const Device& device,
                                        const protocol::AuthResponse& response,
                                        std::uint32_t session_id) {
  switch (device.auth_mode) {
    case AuthMode::kNullString:
      return accept("null");
    case AuthMode::kAuthString:
      return by_string(device, response);
    case AuthMode::kLscFirst:
    case AuthMode::kMicFirst:
      return by_certificate(device, response, session_id);
  }
  return refuse(FailureReason::kInvalidCredentials, "unknown authentication mode", "?");
}

AuthOutcome Authenticator::by_string(const Device& device, const protocol::AuthResponse& response) {
  if (!device.auth_string || device.auth_string->empty()) {
    return refuse(FailureReason::kInvalidAuthString,
                  "no authentication string is set for this device: set one with `opencapf "
                  "device set NAME --auth-string DIGITS` or --generate-auth-string",
                  "string");
  }
  if (device.auth_failures >= policy_.max_string_attempts) {
    return refuse(FailureReason::kInvalidAuthString,
                  fmt::format("locked after {} wrong authentication strings: set the operation "
                              "again to unlock it",
                              device.auth_failures),
                  "string");
  }
  if (!response.password || response.password->empty()) {
    return refuse(FailureReason::kInvalidAuthString, "the phone sent no authentication string",
                  "string");
  }
  if (!constant_time_equal(as_bytes(*response.password), as_bytes(*device.auth_string))) {
    return refuse(FailureReason::kInvalidAuthString, "wrong authentication string", "string");
  }
  return accept("string");
}

AuthOutcome Authenticator::by_certificate(const Device& device,
                                          const protocol::AuthResponse& response,
                                          std::uint32_t session_id) {
  // Which certificate the device's mode prefers only names the failure when nothing usable came.
  FailureReason missing_reason = device.auth_mode == AuthMode::kLscFirst
                                     ? FailureReason::kInvalidLsc
                                     : FailureReason::kInvalidMic;
  if (response.certificates.empty()) {
    return refuse(missing_reason,
                  "the phone presented no certificate, but the device authenticates by existing "
                  "certificate: install one first with --auth string or null",
                  "certificate");
  }
  auto cert = pki::Certificate::from_der(response.certificates.front().der);
  if (!cert) {
    return refuse(missing_reason,
                  "the presented certificate does not parse: " + cert.error().message,
                  "certificate");
  }
  const std::string serial = cert->serial_hex();
  const std::string& name = device.name.str();

  // An LSC is a certificate this CAPF recorded for this device, or one issued by the CAPF
  // certificate; anything else presented is treated as a MIC.
  std::shared_ptr<const CapfIdentity> id = identity_.current();
  std::optional<IssuedCertificate> ledger_entry;
  if (auto found = ledger_.find_certificate(serial); found && found->has_value()) {
    ledger_entry = **found;
  }
  bool is_lsc = (ledger_entry && ledger_entry->device_name == name) ||
                cert->issuer() == id->certificate.subject();
  const std::string method = is_lsc ? "lsc" : "mic";
  const FailureReason bad = is_lsc ? FailureReason::kInvalidLsc : FailureReason::kInvalidMic;

  // Proofs of possession (spec §6.3.2, §6.3.3): both hashes are required, as the reference does.
  if (!response.signed_data || !response.sha2_signed_data) {
    return refuse(bad,
                  "the phone sent its certificate without both SIGNED_DATA and SHA2_SIGNED_DATA",
                  method, serial);
  }
  if (response.sha2_signed_data->hash_id != protocol::hash_id::kSha512) {
    return refuse(bad,
                  fmt::format("SHA2_SIGNED_DATA uses hash id {}, expected 3 (SHA-512)",
                              response.sha2_signed_data->hash_id),
                  method, serial);
  }
  Bytes signed_bytes = protocol::auth_signed_bytes(name, response.certificates.front().der);
  pki::PublicKey key = cert->public_key();
  if (auto s = key.verify_proof(pki::Hash::kSha1, signed_bytes, *response.signed_data); !s) {
    return refuse(bad, "SIGNED_DATA (SHA-1) does not verify: " + s.error().message, method, serial);
  }
  if (auto s =
          key.verify_proof(pki::Hash::kSha512, signed_bytes, response.sha2_signed_data->signature);
      !s) {
    return refuse(bad, "SHA2_SIGNED_DATA (SHA-512) does not verify: " + s.error().message, method,
                  serial);
  }

  // Trust: the chain must end in capf-trust (the CAPF certificate is trusted for its own LSCs).
  auto anchors_result = trust_.anchors(kCapfTrust);
  if (!anchors_result) {
    return refuse(bad, "cannot read capf-trust: " + anchors_result.error().message, method, serial);
  }
  std::vector<pki::Certificate> anchors = std::move(anchors_result).value();
  std::vector<pki::Certificate> intermediates = id->chain;
  if (is_lsc)
    anchors.push_back(id->certificate);
  pki::VerifyOptions options;
  if (is_lsc || !policy_.accept_expired_mic)
    options.at = clock_.now();
  auto anchor = pki::verify_chain(*cert, anchors, intermediates, options);
  if (!anchor) {
    return refuse(bad,
                  fmt::format("the {} ({}) does not chain to capf-trust: {}",
                              is_lsc ? "LSC" : "MIC", cert->subject(), anchor.error().message),
                  method, serial);
  }

  // Binding to the device.
  if (is_lsc) {
    if (cert->common_name() != name) {
      return refuse(bad, fmt::format("the LSC belongs to {}, not {}", cert->common_name(), name),
                    method, serial);
    }
    if (ledger_entry && ledger_entry->state == CertificateState::kRevoked) {
      return refuse(bad, fmt::format("LSC serial {} is revoked", serial), method, serial);
    }
  } else if (!contains_ci(cert->common_name(), name)) {
    return refuse(bad, fmt::format("the MIC's subject {} does not name {}", cert->subject(), name),
                  method, serial);
  }

  if (response.sudi) {
    if (auto s = check_sudi(*response.sudi, session_id, anchors); !s) {
      return refuse(FailureReason::kInvalidCredentials, "SUDI_DATA: " + s.error().message, method,
                    serial);
    }
  }
  return accept(method, serial);
}

Status Authenticator::check_sudi(const protocol::SudiData& sudi, std::uint32_t session_id,
                                 const std::vector<pki::Certificate>& anchors) {
  CAPF_ASSIGN_OR_RETURN(pki::Certificate cert, pki::Certificate::from_der(sudi.certificate));
  pki::VerifyOptions options;
  if (!policy_.accept_expired_mic)
    options.at = clock_.now();
  auto anchor = pki::verify_chain(cert, anchors, {}, options);
  if (!anchor)
    return anchor.error().with_context("the SUDI certificate does not chain to capf-trust");
  if (sudi.sha512.hash_id != protocol::hash_id::kSha512) {
    return make_error(ErrorCode::kProtocol, "the last part uses hash id {}, expected 3 (SHA-512)",
                      sudi.sha512.hash_id);
  }
  Bytes signed_bytes = protocol::sudi_signed_bytes(session_id, sudi.certificate);
  pki::PublicKey key = cert.public_key();
  auto sha1 = key.verify_proof(pki::Hash::kSha1, signed_bytes, sudi.sha1.signature);
  if (!sha1)
    return sha1.error().with_context("the SHA-1 signature does not verify");
  auto sha512 = key.verify_proof(pki::Hash::kSha512, signed_bytes, sudi.sha512.signature);
  if (!sha512)
    return sha512.error().with_context("the SHA-512 signature does not verify");
  return ok();
}

}  // namespace capf
