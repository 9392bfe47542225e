#include "phone/phone_conversation.h"

#include <fmt/format.h>

#include "phone/transcript.h"

namespace capf::phone {
namespace {

namespace proto = capf::protocol;
using proto::Command;

bool is_command(const proto::Message& m, Command c) {
  return m.command == static_cast<std::uint8_t>(c);
}

bool valid_rsa_size(std::uint16_t bits) {
  return bits == 512 || bits == 1024 || bits == 2048 || bits == 3072 || bits == 4096;
}

std::optional<int> curve_bits(std::uint8_t curve) {
  switch (curve) {
    case proto::kCurveP256:
      return 256;
    case proto::kCurveP384:
      return 384;
    case proto::kCurveP521:
      return 521;
    default:
      return std::nullopt;
  }
}

}  // namespace

PhoneConversation::PhoneConversation(const PhoneOptions& options, PhoneState& state)
    : options_(options), state_(state), pending_key_(state.pending_key()) {}

Result<proto::Header> PhoneConversation::on_header(ByteView header) {
  CAPF_ASSIGN_OR_RETURN(auto h, proto::parse_header(header));
  if (!session_known_) {
    session_known_ = true;
    report_.session_id = h.session_id;
  } else if (h.session_id != report_.session_id) {
    return make_error(ErrorCode::kProtocol,
                      "server changed the session id from {:#010x} to {:#010x}", report_.session_id,
                      h.session_id);
  }
  return h;
}

std::string PhoneConversation::describe(const proto::Message& message) const {
  return options_.describe_messages ? describe_message(message)
                                    : std::string(proto::command_name(message.command));
}

Result<Bytes> PhoneConversation::emit(const proto::Message& message) {
  auto frame = proto::encode(message);
  if (!frame) {
    return frame.error().with_context(
        fmt::format("cannot encode {}", proto::command_name(message.command)));
  }
  report_.transcript.push_back("-> " + describe(message));
  return frame;
}

Result<PhoneAction> PhoneConversation::send_one(const proto::Message& message) {
  CAPF_ASSIGN_OR_RETURN(auto frame, emit(message));
  SendFrames send;
  send.frames.push_back(std::move(frame));
  return PhoneAction(std::move(send));
}

Result<Bytes> PhoneConversation::in_progress() {
  return emit(proto::to_message(report_.session_id, proto::RequestInProgress{}));
}

Result<PhoneAction> PhoneConversation::on_frame(ByteView frame) {
  CAPF_ASSIGN_OR_RETURN(auto m, proto::decode(frame));
  report_.transcript.push_back("<- " + describe(m));
  if (ended_) {
    return make_error(ErrorCode::kProtocol, "{} after END_SESSION", proto::command_name(m.command));
  }
  if (!authenticated_) {
    if (!is_command(m, Command::kAuthRequest)) {
      return make_error(ErrorCode::kProtocol, "server sent {} first instead of AUTH_REQUEST",
                        proto::command_name(m.command));
    }
    return on_auth_request(m);
  }
  if (is_command(m, Command::kKeyGenerateRequest)) {
    return on_key_generate_request(m);
  }
  if (is_command(m, Command::kSignCertificateRequest)) {
    return on_sign_request(m);
  }
  if (is_command(m, Command::kStoreCertificateRequest)) {
    return on_store_request(m);
  }
  if (is_command(m, Command::kFetchCertificateRequest)) {
    return on_fetch_request();
  }
  if (is_command(m, Command::kDeleteCertificateRequest)) {
    return on_delete_request();
  }
  if (is_command(m, Command::kEndSession)) {
    return on_end_session(m);
  }
  return make_error(ErrorCode::kProtocol, "unexpected {} from the server",
                    proto::command_name(m.command));
}

const Credential* PhoneConversation::choose_credential(std::optional<std::uint8_t> server_auth_type,
                                                       bool& empty_password) const {
  std::optional<AuthMode> mode = options_.present;
  if (!mode && server_auth_type && *server_auth_type >= 1 && *server_auth_type <= 4) {
    mode = static_cast<AuthMode>(*server_auth_type);
  }
  const Credential* lsc = state_.lsc() ? &*state_.lsc() : nullptr;
  const Credential* mic = state_.mic() ? &*state_.mic() : nullptr;
  empty_password = false;
  if (!mode) {
    return lsc != nullptr ? lsc : mic;
  }
  switch (*mode) {
    case AuthMode::kAuthString:
      return nullptr;
    case AuthMode::kNullString:
      empty_password = true;
      return nullptr;
    case AuthMode::kLscFirst:
      return lsc != nullptr ? lsc : mic;
    case AuthMode::kMicFirst:
      return mic != nullptr ? mic : lsc;
  }
  return nullptr;
}

Result<PhoneAction> PhoneConversation::on_auth_request(const proto::Message& m) {
  CAPF_ASSIGN_OR_RETURN(auto request, proto::parse_auth_request(m));
  authenticated_ = true;
  bool empty_password = false;
  const Credential* credential = choose_credential(request.auth_type, empty_password);

  proto::AuthResponse response;
  response.reason = proto::reason::kSuccess;
  response.version = options_.version;
  response.device_name = options_.device_name;
  response.password = empty_password ? std::string() : options_.auth_string.value_or("");
  if (credential != nullptr) {
    // Type 1 for an LSC and for a MIC alike: every known client labels its item 1
    // (docs/protocol.md §4.1).
    const Bytes der = credential->certificate.der();
    response.certificates.push_back({proto::cert_type::kLsc, 0, der});
    const Bytes signed_bytes = proto::auth_signed_bytes(options_.device_name, der);
    CAPF_ASSIGN_OR_RETURN(response.signed_data,
                          credential->key.sign_proof(pki::Hash::kSha1, signed_bytes));
    CAPF_ASSIGN_OR_RETURN(auto sha512,
                          credential->key.sign_proof(pki::Hash::kSha512, signed_bytes));
    response.sha2_signed_data = proto::HashedSignature{proto::hash_id::kSha512, std::move(sha512)};
    if (options_.send_sudi && state_.mic()) {
      const auto& mic = *state_.mic();
      proto::SudiData sudi;
      sudi.certificate_id = 0;
      sudi.certificate = mic.certificate.der();
      const Bytes sudi_bytes = proto::sudi_signed_bytes(report_.session_id, sudi.certificate);
      CAPF_ASSIGN_OR_RETURN(auto sha1, mic.key.sign_proof(pki::Hash::kSha1, sudi_bytes));
      CAPF_ASSIGN_OR_RETURN(auto sudi512, mic.key.sign_proof(pki::Hash::kSha512, sudi_bytes));
      sudi.sha1 = {proto::hash_id::kSha1, std::move(sha1)};
      sudi.sha512 = {proto::hash_id::kSha512, std::move(sudi512)};
      response.sudi = std::move(sudi);
    }
  }
  auto action = send_one(proto::to_message(report_.session_id, response));
  if (action) {
    // The wire labels a MIC as type 1 too, so say in words what was presented.
    const bool is_mic = credential != nullptr && state_.mic() && credential == &*state_.mic();
    report_.transcript.back() +=
        credential == nullptr ? (empty_password ? " (null string)" : " (authentication string)")
        : response.sudi
            ? (is_mic ? " (presenting the MIC, with SUDI)" : " (presenting the LSC, with SUDI)")
            : (is_mic ? " (presenting the MIC)" : " (presenting the LSC)");
  }
  return action;
}

Result<PhoneAction> PhoneConversation::on_key_generate_request(const proto::Message& m) {
  CAPF_ASSIGN_OR_RETURN(auto request, proto::parse_key_generate_request(m));
  report_.operation = "install";
  pending_key_.reset();  // a new request replaces whatever key was pending
  requested_spec_.reset();
  std::optional<KeySpec> spec;
  if (request.key_type == proto::kKeyTypeRsa) {
    if (request.key_size && valid_rsa_size(*request.key_size)) {
      spec = KeySpec{KeyType::kRsa, *request.key_size};
    } else {
      note_ = "asked for an RSA key without a valid KEY_SIZE (512, 1024, 2048, 3072 or 4096)";
    }
  } else if (request.key_type == proto::kKeyTypeEc) {
    const auto bits = request.curve ? curve_bits(*request.curve) : std::nullopt;
    if (!bits) {
      note_ = "asked for an EC key without a valid CURVE (0, 1 or 2)";
    } else if (!options_.support_ec) {
      note_ = "refused an EC key (no EC support)";
    } else {
      spec = KeySpec{KeyType::kEc, *bits};
    }
  } else {
    note_ = fmt::format("asked for unknown KEY_TYPE {}", request.key_type);
  }
  if (!spec) {
    proto::KeyGenerateResponse refusal;
    refusal.reason = proto::reason::kFailure;
    return send_one(proto::to_message(report_.session_id, refusal));
  }
  requested_spec_ = spec;
  return PhoneAction(GenerateKey{*spec});
}

Result<Bytes> PhoneConversation::on_key(Result<pki::PrivateKey> key) {
  proto::KeyGenerateResponse response;
  if (!key) {
    note_ = "key generation failed: " + key.error().message;
    response.reason = proto::reason::kFailure;
  } else if (requested_spec_ && key->spec() != *requested_spec_) {
    note_ = fmt::format("the key source gave a {} key for a {} request", to_string(key->spec()),
                        to_string(*requested_spec_));
    response.reason = proto::reason::kFailure;
  } else {
    response.public_key = key->spki_der();
    pending_key_ = std::move(key).value();
    // Kept across sessions: an external CA may answer after this session ends.
    if (auto saved = state_.save_pending_key(*pending_key_); !saved) {
      note_ = "cannot keep the new key: " + saved.error().message;
    }
  }
  return emit(proto::to_message(report_.session_id, response));
}

Result<PhoneAction> PhoneConversation::on_sign_request(const proto::Message& m) {
  CAPF_ASSIGN_OR_RETURN(auto request, proto::parse_sign_certificate_request(m));
  report_.operation = "install";
  proto::SignCertificateResponse response;
  response.reason = proto::reason::kFailure;
  auto hash = pki::hash_from_id(request.digest_type);
  if (!options_.support_sign) {
    note_ = "refused to sign a certificate request (no support)";
  } else if (!pending_key_) {
    note_ = "asked to sign a certificate request before any key was generated";
  } else if (!hash) {
    note_ = fmt::format("asked to sign with unknown DIGEST_TYPE {}", request.digest_type);
  } else {
    auto signature = pending_key_->sign(*hash, request.request_info_der);
    if (signature) {
      response.reason = proto::reason::kSuccess;
      response.signature =
          proto::HashedSignature{request.digest_type, std::move(signature).value()};
    } else {
      note_ = "signing the certificate request failed: " + signature.error().message;
    }
  }
  SendFrames send;
  if (response.reason == proto::reason::kSuccess) {
    CAPF_ASSIGN_OR_RETURN(auto busy, in_progress());
    send.frames.push_back(std::move(busy));
  }
  CAPF_ASSIGN_OR_RETURN(auto frame, emit(proto::to_message(report_.session_id, response)));
  send.frames.push_back(std::move(frame));
  return PhoneAction(std::move(send));
}

Result<PhoneAction> PhoneConversation::on_store_request(const proto::Message& m) {
  CAPF_ASSIGN_OR_RETURN(auto request, proto::parse_store_certificate_request(m));
  report_.operation = "install";
  proto::StoreCertificateResponse response;
  response.reason = proto::reason::kFailure;
  auto cert = pki::Certificate::from_der(request.certificate_der);
  if (options_.refuse_store) {
    note_ = "refused to store the certificate (refuse_store)";
  } else if (request.certificate_type != proto::cert_type::kLsc) {
    note_ = fmt::format("asked to store a certificate of type {}", request.certificate_type);
  } else if (!cert) {
    note_ = "the certificate to store does not parse: " + cert.error().message;
  } else if (!pending_key_) {
    note_ = "asked to store a certificate, but it holds no key waiting for one";
  } else if (cert->spki_der() != pending_key_->spki_der()) {
    note_ = "the certificate to store is not for the key this phone generated";
  } else if (auto saved = state_.save_lsc(*cert, *pending_key_); !saved) {
    note_ = "cannot save the LSC: " + saved.error().message;
  } else {
    stored_ = true;
    report_.installed = *cert;
    pending_key_.reset();
    if (auto cleared = state_.clear_pending_key(); !cleared) {
      note_ = "cannot remove the pending key: " + cleared.error().message;
    }
    response.reason = proto::reason::kSuccess;
  }
  return send_one(proto::to_message(report_.session_id, response));
}

Result<PhoneAction> PhoneConversation::on_fetch_request() {
  report_.operation = "troubleshoot";
  proto::FetchCertificateResponse response;
  std::vector<std::string> sent;
  if (state_.lsc()) {
    response.certificates.push_back({proto::cert_type::kLsc, 0, state_.lsc()->certificate.der()});
    sent.push_back("LSC serial " + state_.lsc()->certificate.serial_hex());
  }
  if (state_.mic() && !options_.fetch_lsc_only) {
    response.certificates.push_back({proto::cert_type::kMic, 0, state_.mic()->certificate.der()});
    sent.push_back("MIC serial " + state_.mic()->certificate.serial_hex());
  }
  if (response.certificates.empty()) {
    note_ = "had no certificate to send";
    response.reason = proto::reason::kFailure;
  } else {
    response.reason = proto::reason::kSuccess;
    sent_certificates_ = fmt::format("{}", fmt::join(sent, " and "));
  }
  return send_one(proto::to_message(report_.session_id, response));
}

Result<PhoneAction> PhoneConversation::on_delete_request() {
  report_.operation = "delete";
  proto::DeleteCertificateResponse response;
  response.reason = proto::reason::kFailure;
  const std::string serial = state_.lsc() ? state_.lsc()->certificate.serial_hex() : "";
  auto deleted = state_.delete_lsc();
  if (!deleted) {
    note_ = "cannot delete the LSC: " + deleted.error().message;
  } else if (!*deleted) {
    note_ = "had no LSC to delete";
  } else {
    deleted_ = true;
    deleted_serial_ = serial;
    response.reason = proto::reason::kSuccess;
  }
  return send_one(proto::to_message(report_.session_id, response));
}

Result<PhoneAction> PhoneConversation::on_end_session(const proto::Message& m) {
  CAPF_ASSIGN_OR_RETURN(auto end, proto::parse_end_session(m));
  finish(end.reason);
  return PhoneAction(SessionEnded{});
}

void PhoneConversation::finish(std::uint8_t end_reason) {
  ended_ = true;
  report_.end_reason = end_reason;
  report_.phone_refused = !note_.empty();
  const std::string& device = options_.device_name;
  const std::string because = note_.empty() ? "" : fmt::format(" (phone {})", note_);
  const bool clean_end =
      end_reason == proto::reason::kNoAction || end_reason == proto::reason::kSuccess;
  if (end_reason == proto::reason::kUnknownDevice) {
    report_.exit_code = exit_code::kUnknownDevice;
    report_.summary = fmt::format("server does not know device {} (END_SESSION 9)", device);
    return;
  }
  if (report_.operation.empty()) {
    if (end_reason == proto::reason::kNoAction && pending_key_) {
      // The phone waits for the certificate of an earlier request; the server has none yet.
      report_.operation = "install";
      report_.exit_code = exit_code::kPending;
      report_.summary = fmt::format(
          "request pending: nothing for {} yet (END_SESSION 0); the phone keeps its {} key for "
          "the certificate an external CA has still to sign",
          device, to_string(pending_key_->spec()));
      return;
    }
    if (clean_end) {
      report_.operation = "none";
      report_.exit_code = exit_code::kNoOperation;
      report_.summary =
          fmt::format("server has no operation for {} (END_SESSION {})", device, end_reason);
    } else {
      report_.exit_code = exit_code::kFailure;
      report_.summary = fmt::format(
          "server refused {} after authentication (END_SESSION {}): another session may hold "
          "the device (try again shortly; the server's log and the device history say), or check "
          "the authentication string or the certificate it trusts",
          device, end_reason);
    }
    return;
  }
  bool success = false;
  if (report_.operation == "install" && !stored_ && end_reason == proto::reason::kNoAction &&
      pending_key_) {
    // An external CA holds the request: the phone keeps its key for a later contact.
    report_.exit_code = exit_code::kPending;
    report_.summary = fmt::format(
        "request pending: the server keeps {}'s certificate request for its CA; the phone keeps "
        "its new {} key and receives the certificate at a later contact",
        device, to_string(pending_key_->spec()));
    return;
  }
  if (report_.operation == "install") {
    success = stored_ && end_reason == proto::reason::kSuccess;
    if (success) {
      const auto& cert = *report_.installed;
      report_.summary = fmt::format("installed LSC serial {} ({}) issued by {}, valid until {}",
                                    cert.serial_hex(), to_string(cert.public_key().spec()),
                                    cert.issuer(), format_utc(cert.not_after()));
    } else {
      report_.summary =
          fmt::format("install failed{}: {}, server ended the session with reason {}", because,
                      stored_ ? "the LSC was stored" : "no LSC stored", end_reason);
    }
  } else if (report_.operation == "troubleshoot") {
    success = !sent_certificates_.empty() && clean_end;
    report_.summary =
        success ? fmt::format("sent {} to the server (troubleshoot, END_SESSION {})",
                              sent_certificates_, end_reason)
                : fmt::format("troubleshoot failed{}: server ended the session with reason {}",
                              because, end_reason);
  } else {
    success = deleted_ && end_reason == proto::reason::kSuccess;
    report_.summary = success
                          ? fmt::format("deleted LSC serial {} (END_SESSION 1)", deleted_serial_)
                          : fmt::format("delete failed{}: server ended the session with reason {}",
                                        because, end_reason);
  }
  report_.exit_code = success ? exit_code::kSuccess : exit_code::kFailure;
}

void PhoneConversation::fail(std::string summary) {
  if (ended_) {
    return;
  }
  ended_ = true;
  report_.exit_code = exit_code::kFailure;
  report_.summary = std::move(summary);
}

void PhoneConversation::lose_connection(std::string summary) {
  if (ended_) {
    return;
  }
  fail(std::move(summary));
  report_.connection_lost = true;
}

std::string PhoneConversation::waiting_for() const {
  if (!authenticated_) {
    return "AUTH_REQUEST";
  }
  return "the server's next command";
}

}  // namespace capf::phone
