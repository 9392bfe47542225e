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

  // What the certificate is follows from who issued it, never from what the ledger or the subject
  // says: a certificate that chains to an LSC issuer (capf-trust and the CAPF certificate) is an
  // LSC, one that chains to a manufacturing root (mic-trust) is a MIC. The two stores are apart so
  // that an LSC, or anything else an LSC issuer signed, is never taken for a MIC.
  std::shared_ptr<const CapfIdentity> id = identity_.current();
  auto lsc_anchors = trust_.anchors(kCapfTrust);
  auto mic_anchors = trust_.anchors(kMicTrust);
  if (!lsc_anchors || !mic_anchors) {
    const Error& e = lsc_anchors ? mic_anchors.error() : lsc_anchors.error();
    return refuse(missing_reason, "cannot read the trust stores: " + e.message, "certificate",
                  serial);
  }
  lsc_anchors->push_back(id->certificate);
  std::vector<pki::Certificate> presented_chain;  // what the phone sent above its certificate
  for (std::size_t i = 1; i < response.certificates.size(); ++i) {
    if (auto c = pki::Certificate::from_der(response.certificates[i].der))
      presented_chain.push_back(std::move(c).value());
  }

  pki::VerifyOptions lsc_options;
  lsc_options.at = clock_.now();
  auto lsc_anchor = pki::verify_chain(*cert, *lsc_anchors, id->chain, lsc_options);
  pki::VerifyOptions mic_options;
  if (!policy_.accept_expired_mic)
    mic_options.at = clock_.now();
  auto mic_anchor = lsc_anchor
                        ? Result<pki::Certificate>(make_error(ErrorCode::kUntrusted, ""))
                        : pki::verify_chain(*cert, *mic_anchors, presented_chain, mic_options);
  const bool is_lsc = lsc_anchor.has_value();
  const std::string method = is_lsc ? "lsc" : "mic";
  const FailureReason bad = is_lsc ? FailureReason::kInvalidLsc : FailureReason::kInvalidMic;
  if (!is_lsc && !mic_anchor) {
    return refuse(
        missing_reason,
        fmt::format("the certificate ({}) chains neither to an LSC issuer in capf-trust "
                    "({}) nor to a manufacturing root in mic-trust ({}); a MIC's root "
                    "belongs in mic-trust: `opencapf trust add mic-trust ROOT.pem`",
                    cert->subject(), lsc_anchor.error().message, mic_anchor.error().message),
        "certificate", serial);
  }

  // Proofs of possession (docs/protocol.md §6.3.2, §6.3.3): both hashes are required, as the
  // reference does.
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

  // Binding to the device.
  Status bound = is_lsc ? check_lsc_binding(*cert, name) : check_mic_binding(*cert, name);
  if (!bound)
    return refuse(bad, bound.error().message, method, serial);

  if (response.sudi) {
    if (auto s = check_sudi(*response.sudi, session_id, *mic_anchors); !s) {
      return refuse(FailureReason::kInvalidCredentials, "SUDI_DATA: " + s.error().message, method,
                    serial);
    }
  }
  return accept(method, serial);
}

Status Authenticator::check_lsc_binding(const pki::Certificate& cert, const std::string& name) {
  // The ledger is what this CAPF issued: the certificate must be there, for this device, byte for
  // byte (serials of different issuers may collide), and not revoked.
  const std::string serial = cert.serial_hex();
  auto found = ledger_.find_certificate(serial);
  if (!found)
    return found.error().with_context("reading the ledger");
  std::optional<pki::Certificate> recorded;
  if (found->has_value()) {
    if (auto c = pki::Certificate::from_pem((*found)->pem))
      recorded = std::move(c).value();
  }
  if (!recorded || !(*recorded == cert)) {
    return make_error(ErrorCode::kPermissionDenied,
                      "LSC serial {} ({}, issued by {}) was not issued by this opencapf: it is not "
                      "in the ledger. Authenticate {} once by string or MIC (a MIC's root belongs "
                      "in mic-trust, not capf-trust)",
                      serial, cert.subject(), cert.issuer(), name);
  }
  if ((*found)->device_name != name) {
    return make_error(ErrorCode::kPermissionDenied, "LSC serial {} was issued to {}, not {}",
                      serial, (*found)->device_name, name);
  }
  if (cert.common_name() != name) {
    return make_error(ErrorCode::kPermissionDenied, "the LSC belongs to {}, not {}",
                      cert.common_name(), name);
  }
  if ((*found)->state == CertificateState::kRevoked) {
    return make_error(ErrorCode::kPermissionDenied, "LSC serial {} is revoked", serial);
  }
  return ok();
}

Status Authenticator::check_mic_binding(const pki::Certificate& cert, const std::string& name) {
  if (!mic_names_device(cert.common_name(), name)) {
    return make_error(ErrorCode::kPermissionDenied,
                      "the MIC's subject {} does not name {} (its common name must be {} or "
                      "<model>-{})",
                      cert.subject(), name, name, name);
  }
  return ok();
}

bool mic_names_device(std::string_view common_name, std::string_view device_name) {
  auto upper = [](std::string_view text) {
    std::string out(text);
    for (char& c : out)
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
  };
  if (device_name.empty())
    return false;
  const std::string cn = upper(common_name);
  const std::string want = upper(device_name);
  if (cn == want)
    return true;
  // "<model>-<name>": the name is the whole last part, after a '-' that follows a model of
  // letters, digits and '-' ("CP-8865-SEP001122334455"); never a prefix or the middle of a name.
  if (cn.size() <= want.size() + 1 || !cn.ends_with(want))
    return false;
  const std::string_view model(cn.data(), cn.size() - want.size() - 1);
  if (cn[model.size()] != '-' || model.front() == '-' || model.back() == '-')
    return false;
  return std::all_of(model.begin(), model.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-';
  });
}

Status Authenticator::check_sudi(const protocol::SudiData& sudi, std::uint32_t session_id,
                                 const std::vector<pki::Certificate>& anchors) {
  CAPF_ASSIGN_OR_RETURN(pki::Certificate cert, pki::Certificate::from_der(sudi.certificate));
  pki::VerifyOptions options;
  if (!policy_.accept_expired_mic)
    options.at = clock_.now();
  auto anchor = pki::verify_chain(cert, anchors, {}, options);
  if (!anchor)
    return anchor.error().with_context(
        "the SUDI certificate does not chain to a manufacturing root in mic-trust");
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
