// PhoneConversation: the phone's side of one CAPF session (docs/protocol.md §6) without any I/O.
// The Asio session (phone_session.cc) reads frames and hands them over; the conversation checks
// them, answers, updates the PhoneState and fills in the SessionReport. Blocks only on PhoneState
// file writes and on RSA/ECDSA signing. Not thread-safe.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "capf/common/bytes.h"
#include "capf/common/result.h"
#include "capf/protocol/message.h"
#include "phone/phone_options.h"
#include "phone/phone_state.h"

namespace capf::phone {

// Write these frames, in order, one TLS write each.
struct SendFrames {
  std::vector<Bytes> frames;
};
// Send the REQUEST_IN_PROGRESS frames, obtain a key of this spec, then call on_key().
struct GenerateKey {
  KeySpec spec;
};
// END_SESSION was received; shut TLS down and close. The report is final.
struct SessionEnded {};
using PhoneAction = std::variant<SendFrames, GenerateKey, SessionEnded>;

class PhoneConversation {
 public:
  // Both are borrowed for the conversation's lifetime.
  PhoneConversation(const PhoneOptions& options, PhoneState& state);

  // Checks a server frame header: protocol id 0x55, and the same session id as the first frame.
  // kMalformed / kProtocol.
  Result<protocol::Header> on_header(ByteView header);
  // Handles one whole server frame (header + payload). kMalformed / kProtocol for anything the
  // phone cannot go on with (the caller then closes the connection and calls fail()).
  Result<PhoneAction> on_frame(ByteView frame);
  // After GenerateKey: the key, or why there is none (the phone then answers REASON=7).
  // Returns the KEY_GENERATE_RESPONSE frame.
  Result<Bytes> on_key(Result<pki::PrivateKey> key);
  // One REQUEST_IN_PROGRESS frame, recorded in the transcript.
  Result<Bytes> in_progress();

  // Ends the conversation for a transport or local reason: exit code 1 with this summary (unless
  // END_SESSION was already received).
  void fail(std::string summary);
  // fail() for a connection that could not be made, secured or kept (SessionReport's
  // connection_lost).
  void lose_connection(std::string summary);
  bool ended() const { return ended_; }
  // What the phone waits for next, for timeout messages.
  std::string waiting_for() const;

  SessionReport& report() { return report_; }

 private:
  std::string describe(const protocol::Message& message) const;  // a transcript line
  Result<Bytes> emit(const protocol::Message& message);
  Result<PhoneAction> send_one(const protocol::Message& message);

  Result<PhoneAction> on_auth_request(const protocol::Message& m);
  Result<PhoneAction> on_key_generate_request(const protocol::Message& m);
  Result<PhoneAction> on_sign_request(const protocol::Message& m);
  Result<PhoneAction> on_store_request(const protocol::Message& m);
  Result<PhoneAction> on_fetch_request();
  Result<PhoneAction> on_delete_request();
  Result<PhoneAction> on_end_session(const protocol::Message& m);

  // The credential to authenticate with, per PhoneOptions::present and the server's AUTH_TYPE.
  const Credential* choose_credential(std::optional<std::uint8_t> server_auth_type,
                                      bool& empty_password) const;
  void finish(std::uint8_t end_reason);

  const PhoneOptions& options_;
  PhoneState& state_;
  SessionReport report_;
  bool session_known_ = false;
  bool authenticated_ = false;
  bool ended_ = false;
  std::optional<pki::PrivateKey> pending_key_;
  std::optional<KeySpec> requested_spec_;
  bool stored_ = false;
  bool deleted_ = false;
  std::string deleted_serial_;
  std::string sent_certificates_;  // "LSC serial ... and MIC serial ..." after a fetch
  std::string note_;               // the last thing the phone refused or failed at, for the summary
};

}  // namespace capf::phone
