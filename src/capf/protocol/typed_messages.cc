// Typed messages ⇄ Message (docs/protocol.md §3, §6). Builders write elements in ascending tag
// order; parsers accept any order, keep the first of duplicate tags and ignore tags they do not
// use.
#include "capf/protocol/message.h"

#include <algorithm>
#include <array>

namespace capf::protocol {
namespace {

constexpr std::uint8_t tag_byte(Tag tag) {
  return static_cast<std::uint8_t>(tag);
}

// ---- building ----

void add(Message& m, Tag tag, Bytes value) {
  m.elements.push_back(Element{tag_byte(tag), std::move(value)});
}
void add_u8(Message& m, Tag tag, std::uint8_t v) {
  add(m, tag, Bytes{v});
}
void add_u16(Message& m, Tag tag, std::uint16_t v) {
  Bytes value;
  put_u16be(value, v);
  add(m, tag, std::move(value));
}
void add_text(Message& m, Tag tag, std::string_view text) {
  Bytes value(text.begin(), text.end());
  value.push_back(0);
  add(m, tag, std::move(value));
}
// An optional element is sent only when it is set.
template <typename T, typename Add>
void add_if_set(Message& m, Tag tag, const std::optional<T>& v, Add add_value) {
  if (v)
    add_value(m, tag, *v);
}
Message start(Command command, std::uint32_t session_id) {
  return Message{static_cast<std::uint8_t>(command), session_id, {}};
}

// A message that starts with its REASON (END_SESSION and the store, delete, fetch and sign
// responses); the caller adds the rest.
Message with_reason(Command command, std::uint32_t session_id, std::uint8_t reason) {
  Message out = start(command, session_id);
  add_u8(out, Tag::kReason, reason);
  return out;
}

// ---- parsing ----

Status expect_command(const Message& m, Command command) {
  if (m.command != static_cast<std::uint8_t>(command)) {
    return make_error(ErrorCode::kProtocol, "expected {}, got {}",
                      command_name(static_cast<std::uint8_t>(command)), command_name(m.command));
  }
  return ok();
}

Result<const Element*> required(const Message& m, Tag tag) {
  const Element* element = m.find(tag);
  if (element == nullptr) {
    return make_error(ErrorCode::kProtocol, "{} lacks {}", command_name(m.command),
                      tag_name(tag_byte(tag)));
  }
  return element;
}

Status expect_size(const Element& e, std::size_t size) {
  if (e.value.size() != size) {
    return make_error(ErrorCode::kMalformed, "element {} has {} bytes, expected {}",
                      tag_name(e.tag), e.value.size(), size);
  }
  return ok();
}

Result<std::uint8_t> u8_value(const Element& e) {
  CAPF_TRY(expect_size(e, 1));
  return e.value[0];
}

Result<std::uint16_t> u16_value(const Element& e) {
  CAPF_TRY(expect_size(e, 2));
  return get_u16be(e.value.data());
}

// Text elements end in exactly one NUL that the length counts (§4.2); only that NUL is removed.
Result<std::string> text_value(const Element& e) {
  if (e.value.empty()) {
    return make_error(ErrorCode::kMalformed, "{} value is empty", tag_name(e.tag));
  }
  if (e.value.back() != 0) {
    return make_error(ErrorCode::kMalformed, "{} value lacks its trailing NUL", tag_name(e.tag));
  }
  return std::string(e.value.begin(), e.value.end() - 1);
}

Result<std::uint8_t> required_u8(const Message& m, Tag tag) {
  CAPF_ASSIGN_OR_RETURN(const Element* e, required(m, tag));
  return u8_value(*e);
}

// The message `command` with its required REASON read into a T; the caller reads the rest.
template <typename T>
Result<T> parse_with_reason(const Message& m, Command command) {
  CAPF_TRY(expect_command(m, command));
  T out;
  CAPF_ASSIGN_OR_RETURN(out.reason, required_u8(m, Tag::kReason));
  return out;
}

Result<std::optional<std::uint8_t>> optional_u8(const Message& m, Tag tag) {
  const Element* e = m.find(tag);
  if (e == nullptr) {
    return std::optional<std::uint8_t>();
  }
  CAPF_ASSIGN_OR_RETURN(std::uint8_t v, u8_value(*e));
  return std::optional<std::uint8_t>(v);
}

Result<std::vector<CertificateItem>> optional_certificates(const Message& m) {
  const Element* e = m.find(Tag::kCertificate);
  if (e == nullptr) {
    return std::vector<CertificateItem>();
  }
  return parse_certificate_value(e->value);
}

Result<std::optional<HashedSignature>> optional_sha2_signature(const Message& m) {
  const Element* e = m.find(Tag::kSha2SignedData);
  if (e == nullptr) {
    return std::optional<HashedSignature>();
  }
  auto sig = parse_hashed_signature(e->value);
  if (!sig) {
    return sig.error().with_context("SHA2_SIGNED_DATA");
  }
  return std::optional<HashedSignature>(std::move(sig).value());
}

// The tags parse_auth_response reads; any other is reported in AuthResponse::unknown_tags.
constexpr std::array<std::uint8_t, 8> kAuthResponseTags = {
    tag_byte(Tag::kReason),   tag_byte(Tag::kCertificate),   tag_byte(Tag::kSignedData),
    tag_byte(Tag::kVersion),  tag_byte(Tag::kPassword),      tag_byte(Tag::kDeviceName),
    tag_byte(Tag::kSudiData), tag_byte(Tag::kSha2SignedData)};

}  // namespace

// ---- server → client ----

Message to_message(std::uint32_t session_id, const AuthRequest& m) {
  Message out = start(Command::kAuthRequest, session_id);
  add_u8(out, Tag::kVersion, m.version);
  add_if_set(out, Tag::kAuthType, m.auth_type, add_u8);
  return out;
}

Message to_message(std::uint32_t session_id, const KeyGenerateRequest& m) {
  Message out = start(Command::kKeyGenerateRequest, session_id);
  add_if_set(out, Tag::kKeySize, m.key_size, add_u16);
  add_u8(out, Tag::kKeyType, m.key_type);
  add_if_set(out, Tag::kCurve, m.curve, add_u8);
  return out;
}

Message to_message(std::uint32_t session_id, const StoreCertificateRequest& m) {
  Message out = start(Command::kStoreCertificateRequest, session_id);
  add_u8(out, Tag::kCertificateType, m.certificate_type);
  add(out, Tag::kCertificate,
      build_certificate_value({CertificateItem{m.certificate_type, 0, m.certificate_der}}));
  return out;
}

Message to_message(std::uint32_t session_id, const FetchCertificateRequest& m) {
  Message out = start(Command::kFetchCertificateRequest, session_id);
  add_if_set(out, Tag::kCertificateType, m.certificate_type, add_u8);
  return out;
}

Message to_message(std::uint32_t session_id, const DeleteCertificateRequest&) {
  return start(Command::kDeleteCertificateRequest, session_id);
}

Message to_message(std::uint32_t session_id, const EndSession& m) {
  return with_reason(Command::kEndSession, session_id, m.reason);
}

Message to_message(std::uint32_t session_id, const SignCertificateRequest& m) {
  Message out = start(Command::kSignCertificateRequest, session_id);
  add(out, Tag::kCertificate,
      build_certificate_value({CertificateItem{cert_type::kRequestInfo, 0, m.request_info_der}}));
  add_u8(out, Tag::kDigestType, m.digest_type);
  return out;
}

Result<AuthRequest> parse_auth_request(const Message& m) {
  CAPF_TRY(expect_command(m, Command::kAuthRequest));
  AuthRequest out;
  CAPF_ASSIGN_OR_RETURN(out.version, required_u8(m, Tag::kVersion));
  CAPF_ASSIGN_OR_RETURN(out.auth_type, optional_u8(m, Tag::kAuthType));
  return out;
}

Result<KeyGenerateRequest> parse_key_generate_request(const Message& m) {
  CAPF_TRY(expect_command(m, Command::kKeyGenerateRequest));
  KeyGenerateRequest out;
  // KEY_TYPE is required, as by capfc (§7 item 2), so the simulator catches a server omitting it.
  CAPF_ASSIGN_OR_RETURN(out.key_type, required_u8(m, Tag::kKeyType));
  if (const Element* e = m.find(Tag::kKeySize)) {
    CAPF_ASSIGN_OR_RETURN(out.key_size, u16_value(*e));
  }
  CAPF_ASSIGN_OR_RETURN(out.curve, optional_u8(m, Tag::kCurve));
  return out;
}

Result<StoreCertificateRequest> parse_store_certificate_request(const Message& m) {
  CAPF_TRY(expect_command(m, Command::kStoreCertificateRequest));
  CAPF_ASSIGN_OR_RETURN(const Element* cert, required(m, Tag::kCertificate));
  CAPF_ASSIGN_OR_RETURN(std::vector<CertificateItem> items, parse_certificate_value(cert->value));
  CAPF_ASSIGN_OR_RETURN(std::optional<std::uint8_t> type, optional_u8(m, Tag::kCertificateType));
  StoreCertificateRequest out;
  out.certificate_type = type.value_or(items.front().type);
  out.certificate_der = std::move(items.front().der);
  return out;
}

Result<FetchCertificateRequest> parse_fetch_certificate_request(const Message& m) {
  CAPF_TRY(expect_command(m, Command::kFetchCertificateRequest));
  FetchCertificateRequest out;
  CAPF_ASSIGN_OR_RETURN(out.certificate_type, optional_u8(m, Tag::kCertificateType));
  return out;
}

Result<EndSession> parse_end_session(const Message& m) {
  return parse_with_reason<EndSession>(m, Command::kEndSession);
}

Result<SignCertificateRequest> parse_sign_certificate_request(const Message& m) {
  CAPF_TRY(expect_command(m, Command::kSignCertificateRequest));
  SignCertificateRequest out;
  CAPF_ASSIGN_OR_RETURN(out.digest_type, required_u8(m, Tag::kDigestType));
  CAPF_ASSIGN_OR_RETURN(const Element* cert, required(m, Tag::kCertificate));
  CAPF_ASSIGN_OR_RETURN(std::vector<CertificateItem> items, parse_certificate_value(cert->value));
  auto item = std::ranges::find(items, cert_type::kRequestInfo, &CertificateItem::type);
  if (item == items.end()) {
    return make_error(ErrorCode::kProtocol,
                      "SIGN_CERTIFICATE_REQUEST has no certificate item of type {} (request info)",
                      cert_type::kRequestInfo);
  }
  out.request_info_der = std::move(item->der);
  return out;
}

// ---- client → server ----

Message to_message(std::uint32_t session_id, const AuthResponse& m) {
  Message out = start(Command::kAuthResponse, session_id);
  add_if_set(out, Tag::kReason, m.reason, add_u8);
  if (!m.certificates.empty()) {
    add(out, Tag::kCertificate, build_certificate_value(m.certificates));
  }
  add_if_set(out, Tag::kSignedData, m.signed_data, add);
  add_u8(out, Tag::kVersion, m.version);
  add_if_set(out, Tag::kPassword, m.password, add_text);
  add_text(out, Tag::kDeviceName, m.device_name);
  if (m.sudi) {
    add(out, Tag::kSudiData, build_sudi_data(*m.sudi));
  }
  if (m.sha2_signed_data) {
    add(out, Tag::kSha2SignedData, build_hashed_signature(*m.sha2_signed_data));
  }
  return out;
}

Message to_message(std::uint32_t session_id, const KeyGenerateResponse& m) {
  Message out = start(Command::kKeyGenerateResponse, session_id);
  add_if_set(out, Tag::kReason, m.reason, add_u8);
  add_if_set(out, Tag::kPublicKey, m.public_key, add);
  return out;
}

Message to_message(std::uint32_t session_id, const RequestInProgress&) {
  return start(Command::kRequestInProgress, session_id);
}

Message to_message(std::uint32_t session_id, const StoreCertificateResponse& m) {
  return with_reason(Command::kStoreCertificateResponse, session_id, m.reason);
}

Message to_message(std::uint32_t session_id, const FetchCertificateResponse& m) {
  Message out = with_reason(Command::kFetchCertificateResponse, session_id, m.reason);
  if (!m.certificates.empty()) {
    add(out, Tag::kCertificate, build_certificate_value(m.certificates));
  }
  return out;
}

Message to_message(std::uint32_t session_id, const DeleteCertificateResponse& m) {
  return with_reason(Command::kDeleteCertificateResponse, session_id, m.reason);
}

Message to_message(std::uint32_t session_id, const SignCertificateResponse& m) {
  Message out = with_reason(Command::kSignCertificateResponse, session_id, m.reason);
  if (m.signature) {
    add(out, Tag::kSha2SignedData, build_hashed_signature(*m.signature));
  }
  return out;
}

Result<AuthResponse> parse_auth_response(const Message& m) {
  CAPF_TRY(expect_command(m, Command::kAuthResponse));
  AuthResponse out;
  CAPF_ASSIGN_OR_RETURN(out.version, required_u8(m, Tag::kVersion));
  CAPF_ASSIGN_OR_RETURN(const Element* name, required(m, Tag::kDeviceName));
  CAPF_ASSIGN_OR_RETURN(out.device_name, text_value(*name));
  CAPF_ASSIGN_OR_RETURN(out.reason, optional_u8(m, Tag::kReason));
  if (const Element* e = m.find(Tag::kPassword)) {
    CAPF_ASSIGN_OR_RETURN(out.password, text_value(*e));
  }
  CAPF_ASSIGN_OR_RETURN(out.certificates, optional_certificates(m));
  if (const Element* e = m.find(Tag::kSignedData)) {
    out.signed_data = e->value;
  }
  CAPF_ASSIGN_OR_RETURN(out.sha2_signed_data, optional_sha2_signature(m));
  if (const Element* e = m.find(Tag::kSudiData)) {
    CAPF_ASSIGN_OR_RETURN(out.sudi, parse_sudi_data(e->value));
  }
  for (const Element& e : m.elements) {
    bool used = std::ranges::find(kAuthResponseTags, e.tag) != kAuthResponseTags.end();
    if (!used && std::ranges::find(out.unknown_tags, e.tag) == out.unknown_tags.end()) {
      out.unknown_tags.push_back(e.tag);
    }
  }
  return out;
}

Result<KeyGenerateResponse> parse_key_generate_response(const Message& m) {
  CAPF_TRY(expect_command(m, Command::kKeyGenerateResponse));
  KeyGenerateResponse out;
  CAPF_ASSIGN_OR_RETURN(out.reason, optional_u8(m, Tag::kReason));
  if (const Element* e = m.find(Tag::kPublicKey)) {
    out.public_key = e->value;
  } else if (!out.reason) {
    return make_error(ErrorCode::kProtocol,
                      "KEY_GENERATE_RESPONSE has neither PUBLIC_KEY nor REASON");
  }
  return out;
}

Result<StoreCertificateResponse> parse_store_certificate_response(const Message& m) {
  return parse_with_reason<StoreCertificateResponse>(m, Command::kStoreCertificateResponse);
}

Result<FetchCertificateResponse> parse_fetch_certificate_response(const Message& m) {
  CAPF_ASSIGN_OR_RETURN(FetchCertificateResponse out, parse_with_reason<FetchCertificateResponse>(
                                                          m, Command::kFetchCertificateResponse));
  CAPF_ASSIGN_OR_RETURN(out.certificates, optional_certificates(m));
  return out;
}

Result<DeleteCertificateResponse> parse_delete_certificate_response(const Message& m) {
  return parse_with_reason<DeleteCertificateResponse>(m, Command::kDeleteCertificateResponse);
}

Result<SignCertificateResponse> parse_sign_certificate_response(const Message& m) {
  CAPF_ASSIGN_OR_RETURN(SignCertificateResponse out, parse_with_reason<SignCertificateResponse>(
                                                         m, Command::kSignCertificateResponse));
  CAPF_ASSIGN_OR_RETURN(out.signature, optional_sha2_signature(m));
  return out;
}

}  // namespace capf::protocol
