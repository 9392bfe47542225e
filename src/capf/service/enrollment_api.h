// What a phone session and the enrollment service say to each other: the session's facts
// (SessionInfo), the state carried from one phone message to the next (EnrollmentContext), and the
// service's decisions in domain words. The service never picks a wire byte: a session ends with a
// SessionEnd, and server/session_errors.cc alone turns it into the END_SESSION reason
// (docs/architecture.md §1.1).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capf/common/bytes.h"
#include "capf/common/result.h"
#include "capf/domain/device.h"
#include "capf/issuer/issuer.h"
#include "capf/protocol/message.h"

namespace capf {

struct SessionInfo {
  std::uint32_t session_id = 0;
  std::string peer;         // "198.51.100.7:51234"
  std::string tls_version;  // "TLSv1.3"
  std::string id_hex() const;
};

// What a session is doing for its device, carried from one step to the next.
struct EnrollmentContext {
  DeviceName device;
  Operation operation = Operation::kNone;
  std::shared_ptr<Issuer> issuer;  // the issuer when the session started, kept to its end
  std::vector<KeySpec> key_plan;   // install: keys to ask for, in order
  std::size_t key_index = 0;       // the one asked for last
  std::string auth_method;
  Bytes spki;          // the phone's new public key
  Bytes request_info;  // the CertificationRequestInfo the phone was asked to sign (§6.10)
  std::optional<std::string> request_id;       // the certificate request record (external CAs)
  std::optional<std::string> issued_serial;    // set once an LSC was issued and recorded
  std::optional<std::string> previous_serial;  // the LSC the device held before
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  // When the session last claimed the device (the service clock, taken before the claim): the
  // claim holds at least a lease from then.
  TimePoint claimed_at{};
  KeySpec current_key() const { return key_plan.at(key_index); }
};

// Why the service ends a session. Each value is one END_SESSION reason on the wire, chosen in
// server/session_errors.cc (wire_reason).
enum class SessionEnd {
  kCertificateStored,     // the phone stored its new LSC
  kCertificateDeleted,    // the phone deleted its LSC
  kCertificatesFetched,   // troubleshoot: the phone sent its certificates
  kNothingFetched,        // troubleshoot: the phone sent none
  kNoOperation,           // the device has nothing pending
  kWaitingForCa,          // an external CA holds the request; the phone keeps its key
  kUnknownDevice,         // a name that does not parse or is not in the registry
  kDeviceBusy,            // another session (on this node or another) holds the device's claim
  kUnsupportedVersion,    // a protocol version outside 1..3
  kRegistryUnavailable,   // the device could not be read
  kDeadlinePassed,        // the phone came after the operation's deadline
  kAuthenticationFailed,  // string, certificate or SUDI refused
  kNoSupportedKey,        // the issuer cannot certify any key of the device's key order
  kKeyGenerationFailed,   // no key, an unreadable key, or another key than asked
  kSigningFailed,         // the phone refused to sign its request, or the signature is wrong
  kCaDenied,              // the external CA refused the request
  kCaUnreachable,         // the external CA could not be asked
  kIssuingFailed,         // the issuer returned an error
  kNotStored,             // the phone did not store the certificate
  kNotDeleted,            // the phone deleted nothing
  kInternalError,         // our side could not build or record something
};

// The phone's answer to a store, fetch, delete or sign request: whether it did what was asked,
// and the reason number it sent (for messages). The session reads it off the wire.
struct PhoneAnswer {
  bool done = false;
  std::uint8_t reason = 0;
};

// After AUTH_RESPONSE: end the session, run the device's operation, or deliver a certificate an
// external CA signed since the phone's last contact (the phone still holds that key).
struct OpenDecision {
  enum class Kind { kEnd, kInstall, kFetch, kDelete, kDeliver };
  Kind kind = Kind::kEnd;
  SessionEnd end = SessionEnd::kInternalError;  // for kEnd
  std::optional<EnrollmentContext> context;     // for the others
  Bytes certificate_der;                        // for kDeliver
  std::string log;                              // why, for the session's log line
};

// After KEY_GENERATE_RESPONSE (or SIGN_CERTIFICATE_RESPONSE): ask for the next key of the plan,
// have the phone sign a request (external CAs, docs/protocol.md §6.10), deliver a certificate, or
// end.
struct KeyDecision {
  enum class Kind { kAskNextKey, kSign, kStore, kEnd };
  Kind kind = Kind::kEnd;
  Bytes request_info_der;                                 // kSign
  std::uint8_t digest_type = protocol::hash_id::kSha256;  // kSign
  Bytes certificate_der;                                  // kStore
  SessionEnd end = SessionEnd::kInternalError;            // kEnd
  std::string log;
};

// Ways a session can end without the phone finishing its part.
enum class SessionFailure {
  kReadTimeout,    // the phone stopped answering
  kKeygenTimeout,  // no key within the key-generation wait
  kDisconnected,   // the connection closed or TLS failed
  kBadMessage,     // malformed bytes, wrong session id, unexpected command
  kShutdown,       // the server is stopping
};

// What a phone session asks the service: one call per phone message (docs/architecture.md §1.1).
// EnrollmentService is the implementation; tests/server drives a real PhoneSession with a scripted
// one. Every call may block (registry, signing, CA calls): the session makes them on the worker
// pool, never on an I/O thread, except request_signed for an online or offline issuer, which it
// makes on the CA pool once the CA's admission gate lets it in (docs/architecture.md §1.1).
// Implementations are thread-safe across sessions.
class EnrollmentApi {
 public:
  virtual ~EnrollmentApi() = default;

  // After AUTH_RESPONSE: end, or run the device's operation with a new context.
  virtual OpenDecision open(const SessionInfo& session, const protocol::AuthResponse& response) = 0;
  // After KEY_GENERATE_RESPONSE: the next key, a request to sign, a certificate to store, or end.
  virtual KeyDecision key_generated(const SessionInfo& session, EnrollmentContext& ctx,
                                    const protocol::KeyGenerateResponse& response) = 0;
  // After SIGN_CERTIFICATE_RESPONSE (external CAs): a certificate to store, or end.
  virtual KeyDecision request_signed(const SessionInfo& session, EnrollmentContext& ctx,
                                     PhoneAnswer answer,
                                     const std::optional<protocol::HashedSignature>& signature) = 0;
  // The phone's answers to STORE, FETCH and DELETE_CERTIFICATE_REQUEST; each ends the session.
  virtual SessionEnd stored(const SessionInfo& session, EnrollmentContext& ctx,
                            PhoneAnswer answer) = 0;
  virtual SessionEnd fetched(const SessionInfo& session, EnrollmentContext& ctx, PhoneAnswer answer,
                             const std::vector<protocol::CertificateItem>& certificates) = 0;
  virtual SessionEnd deleted(const SessionInfo& session, EnrollmentContext& ctx,
                             PhoneAnswer answer) = 0;
  // The session ended early; `ctx` is null before the device was known.
  virtual void failed(const SessionInfo& session, const EnrollmentContext* ctx,
                      SessionFailure failure, const std::string& detail) = 0;
  // The calls above, made inside a DeferredSync (store/deferred_sync.h), may commit without
  // waiting for the disk; the session calls this (off the workers) before it sends anything
  // after them. Returns once the commits `ticket` covers are on disk. A service whose commits are
  // always durable when they return has nothing to wait for.
  virtual Status wait_durable(std::uint64_t ticket) {
    (void)ticket;
    return ok();
  }
};

}  // namespace capf
