#include "capf/protocol/server_session.h"

#include <optional>

#include "capf/common/enum_names.h"

namespace capf::protocol {
namespace {

// The one reply command each waiting state expects (REQUEST_IN_PROGRESS is handled apart).
std::optional<Command> expected_reply(ServerState state) {
  switch (state) {
    case ServerState::kStart:
    case ServerState::kEnded:
      return std::nullopt;
    case ServerState::kWaitAuth:
      return Command::kAuthResponse;
    case ServerState::kWaitKey:
      return Command::kKeyGenerateResponse;
    case ServerState::kWaitSign:
      return Command::kSignCertificateResponse;
    case ServerState::kWaitStore:
      return Command::kStoreCertificateResponse;
    case ServerState::kWaitFetch:
      return Command::kFetchCertificateResponse;
    case ServerState::kWaitDelete:
      return Command::kDeleteCertificateResponse;
  }
  return std::nullopt;
}

std::string_view name_of(Command command) {
  return command_name(static_cast<std::uint8_t>(command));
}

template <typename T>
Result<ClientEvent> as_event(Result<T> parsed) {
  if (!parsed) {
    return parsed.error();
  }
  return ClientEvent(std::move(parsed).value());
}

Result<ClientEvent> parse_reply(ServerState state, const Message& m) {
  switch (state) {
    case ServerState::kStart:
    case ServerState::kEnded:
      break;
    case ServerState::kWaitAuth:
      return as_event(parse_auth_response(m));
    case ServerState::kWaitKey:
      return as_event(parse_key_generate_response(m));
    case ServerState::kWaitSign:
      return as_event(parse_sign_certificate_response(m));
    case ServerState::kWaitStore:
      return as_event(parse_store_certificate_response(m));
    case ServerState::kWaitFetch:
      return as_event(parse_fetch_certificate_response(m));
    case ServerState::kWaitDelete:
      return as_event(parse_delete_certificate_response(m));
  }
  return make_error(ErrorCode::kInternal, "no reply expected in state {}", to_string(state));
}

}  // namespace

constexpr EnumName<ServerState> kServerStateNames[] = {
    {ServerState::kStart, "start"},
    {ServerState::kWaitAuth, "wait_auth"},
    {ServerState::kWaitKey, "wait_key"},
    {ServerState::kWaitSign, "wait_sign"},
    {ServerState::kWaitStore, "wait_store"},
    {ServerState::kWaitFetch, "wait_fetch"},
    {ServerState::kWaitDelete, "wait_delete"},
    {ServerState::kEnded, "ended"},
};

std::string_view to_string(ServerState state) {
  return name_in(kServerStateNames, state, "unknown");
}

Result<Bytes> ServerSession::emit(const Message& m, ServerState next) {
  CAPF_ASSIGN_OR_RETURN(Bytes frame, encode(m));
  state_ = next;
  awaiting_reply_ = next != ServerState::kEnded;
  return frame;
}

Status ServerSession::check_send(Command command, bool legal) const {
  if (!legal) {
    return make_error(ErrorCode::kInternal, "cannot send {} in state {}{}", name_of(command),
                      to_string(state_), awaiting_reply_ ? " while a reply is outstanding" : "");
  }
  return ok();
}

bool ServerSession::reply_received_in(std::initializer_list<ServerState> states) const {
  if (awaiting_reply_) {
    return false;
  }
  for (ServerState s : states) {
    if (state_ == s) {
      return true;
    }
  }
  return false;
}

Result<Bytes> ServerSession::send(const AuthRequest& m) {
  CAPF_TRY(check_send(Command::kAuthRequest, state_ == ServerState::kStart));
  return emit(to_message(session_id_, m), ServerState::kWaitAuth);
}

Result<Bytes> ServerSession::send(const KeyGenerateRequest& m) {
  // A second request after a key response is the EC → RSA fallback of the key order.
  CAPF_TRY(check_send(Command::kKeyGenerateRequest,
                      reply_received_in({ServerState::kWaitAuth, ServerState::kWaitKey})));
  return emit(to_message(session_id_, m), ServerState::kWaitKey);
}

Result<Bytes> ServerSession::send(const SignCertificateRequest& m) {
  CAPF_TRY(
      check_send(Command::kSignCertificateRequest, reply_received_in({ServerState::kWaitKey})));
  return emit(to_message(session_id_, m), ServerState::kWaitSign);
}

Result<Bytes> ServerSession::send(const StoreCertificateRequest& m) {
  // Also right after authentication: a certificate an external CA signed since the phone's last
  // contact is delivered without a new key.
  CAPF_TRY(check_send(
      Command::kStoreCertificateRequest,
      reply_received_in({ServerState::kWaitAuth, ServerState::kWaitKey, ServerState::kWaitSign})));
  return emit(to_message(session_id_, m), ServerState::kWaitStore);
}

Result<Bytes> ServerSession::send(const FetchCertificateRequest& m) {
  CAPF_TRY(
      check_send(Command::kFetchCertificateRequest, reply_received_in({ServerState::kWaitAuth})));
  return emit(to_message(session_id_, m), ServerState::kWaitFetch);
}

Result<Bytes> ServerSession::send(const DeleteCertificateRequest& m) {
  CAPF_TRY(
      check_send(Command::kDeleteCertificateRequest, reply_received_in({ServerState::kWaitAuth})));
  return emit(to_message(session_id_, m), ServerState::kWaitDelete);
}

Result<Bytes> ServerSession::send(const EndSession& m) {
  CAPF_TRY(check_send(Command::kEndSession, state_ != ServerState::kEnded));
  return emit(to_message(session_id_, m), ServerState::kEnded);
}

Result<ClientEvent> ServerSession::receive(ByteView frame) {
  if (state_ == ServerState::kStart) {
    return make_error(ErrorCode::kProtocol, "nothing may be received before AUTH_REQUEST is sent");
  }
  if (state_ == ServerState::kEnded) {
    return make_error(ErrorCode::kProtocol, "nothing may be received after END_SESSION");
  }
  CAPF_ASSIGN_OR_RETURN(Message m, decode(frame));
  if (m.session_id != session_id_) {
    return make_error(ErrorCode::kProtocol, "session id 0x{:08x}, expected 0x{:08x}", m.session_id,
                      session_id_);
  }
  std::optional<Command> expected = expected_reply(state_);
  if (!expected) {
    return make_error(ErrorCode::kInternal, "no reply expected in state {}", to_string(state_));
  }
  if (!awaiting_reply_) {
    return make_error(ErrorCode::kProtocol,
                      "{} not expected: {} was already received and no request is outstanding",
                      command_name(m.command), name_of(*expected));
  }
  bool progress_allowed = state_ == ServerState::kWaitKey || state_ == ServerState::kWaitSign;
  if (progress_allowed && m.command == static_cast<std::uint8_t>(Command::kRequestInProgress)) {
    return ClientEvent(RequestInProgress{});
  }
  if (m.command != static_cast<std::uint8_t>(*expected)) {
    return make_error(ErrorCode::kProtocol, "{} not expected while waiting for {}",
                      command_name(m.command), name_of(*expected));
  }
  CAPF_ASSIGN_OR_RETURN(ClientEvent event, parse_reply(state_, m));
  awaiting_reply_ = false;
  return event;
}

}  // namespace capf::protocol
