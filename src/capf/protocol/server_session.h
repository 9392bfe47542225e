// The server side of one CAPF session as a pure state machine (docs/protocol.md §13). It owns the
// session id, knows which client command may come next, checks the session id of everything
// received, and turns frames into typed events. It does no I/O and makes no decisions: the caller
// (the Asio session) reads and writes bytes, and the enrollment service decides what to send.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <variant>

#include "capf/common/bytes.h"
#include "capf/common/result.h"
#include "capf/protocol/message.h"

namespace capf::protocol {

enum class ServerState {
  kStart,       // nothing sent yet
  kWaitAuth,    // AUTH_REQUEST sent
  kWaitKey,     // KEY_GENERATE_REQUEST sent; REQUEST_IN_PROGRESS or KEY_GENERATE_RESPONSE next
  kWaitSign,    // SIGN_CERTIFICATE_REQUEST sent (§6.10)
  kWaitStore,   // STORE_CERTIFICATE_REQUEST sent
  kWaitFetch,   // FETCH_CERTIFICATE_REQUEST sent
  kWaitDelete,  // DELETE_CERTIFICATE_REQUEST sent
  kEnded,       // END_SESSION sent; nothing more may be sent or received
};
std::string_view to_string(ServerState state);

using ClientEvent =
    std::variant<AuthResponse, RequestInProgress, KeyGenerateResponse, SignCertificateResponse,
                 StoreCertificateResponse, FetchCertificateResponse, DeleteCertificateResponse>;

class ServerSession {
 public:
  explicit ServerSession(std::uint32_t session_id) : session_id_(session_id) {}

  std::uint32_t session_id() const { return session_id_; }
  ServerState state() const { return state_; }

  // Each send_* returns the encoded frame to write in one TLS write and moves to the waiting
  // state. kInternal if the call is not legal in the current state (our bug, not the phone's).
  Result<Bytes> send(const AuthRequest& m);
  Result<Bytes> send(const KeyGenerateRequest& m);
  Result<Bytes> send(const SignCertificateRequest& m);
  Result<Bytes> send(const StoreCertificateRequest& m);
  Result<Bytes> send(const FetchCertificateRequest& m);
  Result<Bytes> send(const DeleteCertificateRequest& m);
  Result<Bytes> send(const EndSession& m);

  // Decodes one complete frame from the client. Errors (kMalformed / kProtocol) say what was wrong:
  // a bad header or payload, a different session id, a command not expected in this state, or a
  // typed-parse failure. REQUEST_IN_PROGRESS is accepted any number of times in kWaitKey and
  // kWaitSign and leaves the state unchanged; any other accepted event moves to kStart-like
  // "awaiting our next send" (state stays until the next send_*).
  Result<ClientEvent> receive(ByteView frame);

 private:
  Result<Bytes> emit(const Message& m, ServerState next);
  // kInternal naming the command and the state unless `legal`.
  Status check_send(Command command, bool legal) const;
  // True if the reply to our last request has arrived and the state is one of `states`.
  bool reply_received_in(std::initializer_list<ServerState> states) const;

  std::uint32_t session_id_;
  ServerState state_ = ServerState::kStart;
  bool awaiting_reply_ = false;
};

}  // namespace capf::protocol
