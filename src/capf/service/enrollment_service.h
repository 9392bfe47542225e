// EnrollmentService: the phone flows of docs/protocol.md §6, decided by the device's row in the
// registry. The Asio session calls one method per phone message and sends what it is told; this
// class never sees wire bytes, and it is the only writer of a device's status during a session.
//
// Every method blocks (registry, signing): call them from a worker thread. Thread-safe: sessions
// for different devices run concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "capf/common/clock.h"
#include "capf/domain/device.h"
#include "capf/issuer/capf_identity.h"
#include "capf/issuer/issuer.h"
#include "capf/issuer/issuer_holder.h"
#include "capf/pki/certificate.h"
#include "capf/service/authenticator.h"
#include "capf/service/device_claims.h"
#include "capf/service/enrollment_api.h"
#include "capf/service/session_metrics.h"
#include "capf/store/deferred_sync.h"
#include "capf/store/device_store.h"

namespace capf {

struct EnrollmentPolicy {
  AuthPolicy auth;
  bool allow_rsa_512 = false;
  // Device claims (docs/cluster.md): this node's [cluster] node_name, and how long a claim holds
  // without being renewed ([cluster] lease_seconds).
  std::string node = "local";
  std::chrono::seconds claim_lease{60};
};

class EnrollmentService final : public EnrollmentApi {
 public:
  EnrollmentService(Registry& registry, Authenticator& authenticator, const IssuerHolder& issuers,
                    const IdentityHolder& identity, const Clock& clock, EnrollmentPolicy policy)
      : registry_(registry),
        // The registry that defers a commit is the one that syncs it (store/deferred_sync.h).
        commits_(dynamic_cast<CommitSync*>(&registry)),
        authenticator_(authenticator),
        issuers_(issuers),
        identity_(identity),
        clock_(clock),
        policy_(policy),
        claims_(registry, clock, policy_.node, policy_.claim_lease) {}

  // docs/protocol.md §6.1 checks in order: version 1..3, device name, lookup (kUnknownDevice),
  // deadline, authentication (wrong string counts against the attempt limit), then the operation.
  OpenDecision open(const SessionInfo& session, const protocol::AuthResponse& response) override;

  // Install: checks the returned key against what was asked; a refused key moves to the next key
  // of the plan (EC preferred, RSA backup). CAPF mode issues, records the certificate in the
  // ledger, and returns it to be stored; external modes first ask the phone to sign a request.
  KeyDecision key_generated(const SessionInfo& session, EnrollmentContext& ctx,
                            const protocol::KeyGenerateResponse& response) override;
  // External modes: the phone's signature over the request info. Assembles and verifies the
  // PKCS#10, records the request, and passes it to the CA: an answer within the session is stored
  // at once; an offline or pending request ends the session with kWaitingForCa (the phone keeps
  // its key and receives the certificate at a later contact).
  KeyDecision request_signed(const SessionInfo& session, EnrollmentContext& ctx, PhoneAnswer answer,
                             const std::optional<protocol::HashedSignature>& signature) override;

  // Asks the online CA again about every request it holds (the daemon calls this periodically);
  // certificates that arrived become ready for the phones' next contact. Returns how many did.
  int poll_pending_requests();
  // Tries again the claim releases the database refused (DeviceClaims::retry_releases; the
  // daemon calls this every second). Returns how many still wait.
  std::size_t retry_claim_releases() { return claims_.retry_releases(); }

  // The phone's answer to STORE_CERTIFICATE_REQUEST: kCertificateStored or kNotStored.
  SessionEnd stored(const SessionInfo& session, EnrollmentContext& ctx,
                    PhoneAnswer answer) override;
  // The phone's answer to FETCH_CERTIFICATE_REQUEST: kCertificatesFetched or kNothingFetched.
  SessionEnd fetched(const SessionInfo& session, EnrollmentContext& ctx, PhoneAnswer answer,
                     const std::vector<protocol::CertificateItem>& certificates) override;
  // The phone's answer to DELETE_CERTIFICATE_REQUEST: kCertificateDeleted or kNotDeleted.
  SessionEnd deleted(const SessionInfo& session, EnrollmentContext& ctx,
                     PhoneAnswer answer) override;

  // The session ended early; records the failure on the device (nothing if ctx is null, i.e.
  // before the device was known).
  //
  // Once the phone authenticated, open() claims the device for the session (refused: the
  // session ends with kDeviceBusy, and nothing is issued); key_generated() and request_signed()
  // claim it again once half a lease has passed since the last claim (which moves the expiry);
  // every ending releases it (enrollment_claims.cc).
  void failed(const SessionInfo& session, const EnrollmentContext* ctx, SessionFailure failure,
              const std::string& detail) override;
  Status wait_durable(std::uint64_t ticket) override {
    return commits_ != nullptr ? commits_->wait_durable(ticket) : ok();
  }

  // Finished sessions and issuer calls so far (for /metrics).
  const SessionMetrics& metrics() const { return metrics_; }

 private:
  // The flows behind the public calls, which wrap them in the device's claim.
  OpenDecision open_device(const SessionInfo& session, const protocol::AuthResponse& response,
                           std::optional<DeviceName>& claimed);
  KeyDecision check_key(const SessionInfo& session, EnrollmentContext& ctx,
                        const protocol::KeyGenerateResponse& response);
  KeyDecision check_signed(const SessionInfo& session, EnrollmentContext& ctx, PhoneAnswer answer,
                           const std::optional<protocol::HashedSignature>& signature);
  // The confirmations: each releases the claim in its own transaction (`released` true when that
  // committed).
  SessionEnd record_stored(const SessionInfo& session, EnrollmentContext& ctx, PhoneAnswer answer,
                           bool& released);
  SessionEnd record_fetched(const SessionInfo& session, EnrollmentContext& ctx, PhoneAnswer answer,
                            const std::vector<protocol::CertificateItem>& certificates,
                            bool& released);
  SessionEnd record_deleted(const SessionInfo& session, EnrollmentContext& ctx, PhoneAnswer answer,
                            bool& released);
  void record_failure(const SessionInfo& session, const EnrollmentContext* ctx,
                      SessionFailure failure, const std::string& detail);
  // Claims (or claims again) `device` for the session, in one unsynced commit with the give-back
  // of a right authentication string's attempt when `give_back`: nullopt when granted, otherwise
  // the ending (busy, or the registry could not say) with its log line. The caller releases the
  // claim on either ending: a claim whose commit failed may have landed all the same.
  std::optional<std::pair<SessionEnd, std::string>> hold_claim(const SessionInfo& session,
                                                               const DeviceName& device,
                                                               bool give_back = false);
  // A key or signature step inside the claim: claimed again first when half a lease has passed
  // since the session last claimed it (lost: the session ends, and `step` never runs), released
  // when the session ends.
  KeyDecision in_claim(const SessionInfo& session, EnrollmentContext& ctx,
                       const std::function<KeyDecision()>& step);
  // open_device's ending when the claim is not granted.
  std::optional<OpenDecision> claim(const SessionInfo& session, const DeviceName& device,
                                    bool give_back);
  // Inside a transaction: renews the session's claim, kConflict (and `lost`) when another session
  // took the device, so that the transaction's writes happen only while the session holds it.
  Status require_claim(const std::string& session, const std::string& device, bool& lost);
  // The ending of a session whose claim another session took (counted as a busy refusal).
  KeyDecision claim_lost(const SessionInfo& session, const EnrollmentContext& ctx);

  // Applies `change` to the stored device (compare-and-set, retried) together with an event and,
  // when given, `alongside` (other registry writes that must commit or fail with the device's;
  // it sees the device as stored before `change`).
  Status update_device(const DeviceName& name, const std::function<void(Device&)>& change,
                       const SessionInfo& session, const std::string& event_kind,
                       const std::string& event_detail,
                       const std::function<Status(const Device&)>& alongside = {});
  // The authenticator's verdict; an authentication string is first counted against the attempt
  // limit (atomically in the registry) and, when it is right, `give_back` set: the count is given
  // back with the claim (hold_claim).
  AuthOutcome authenticate(const SessionInfo& session, const Device& device,
                           const protocol::AuthResponse& response, bool& give_back);
  // Inside the confirmation's transaction: revokes ("superseded") every LSC of the device that
  // `serial` replaces.
  Status revoke_replaced(const Device& device, const EnrollmentContext& ctx,
                         const std::string& serial, TimePoint now);
  void set_status(const SessionInfo& session, const EnrollmentContext& ctx,
                  const OperationStatus& status, const std::string& detail, bool clear_operation);
  void log_finished(const SessionInfo& session, const EnrollmentContext& ctx,
                    const OperationStatus& status, const std::string& detail);

  // Passes a request to the session's issuer and acts on the outcome (store now, wait, or fail).
  KeyDecision issue(const SessionInfo& session, EnrollmentContext& ctx,
                    const IssueRequest& request);
  // Records a certificate the CA issued: ledger (and the request, if any, becomes ready). With
  // `claim_lost` given, only while the session (id `session`) holds the device's claim
  // (require_claim, in the same transaction).
  Status record_issued(const std::string& session, const std::string& device,
                       const pki::Certificate& cert, const std::string& key_spec,
                       const std::optional<std::string>& request_id,
                       const std::vector<pki::Certificate>& chain, bool* claim_lost = nullptr);
  // Asks the CA about a waiting request: retrieve() with its ticket, or the recorded request sent
  // again when the CA never took it (it was unreachable). Counts the attempt.
  Result<IssueOutcome> ask_ca(Issuer& issuer, CertificateRequestRecord& request);
  // A kReady or kWaiting request found at the phone's contact; nullopt: go on with a new key.
  std::optional<OpenDecision> resume_request(const SessionInfo& session, EnrollmentContext& ctx);
  // The subject the phone-signed request carries: CN from the issuer's template, then the
  // O/OU/L/ST/C of the CAPF certificate's subject.
  std::string request_subject(const std::string& common_name) const;

  Registry& registry_;
  CommitSync* commits_;
  Authenticator& authenticator_;
  const IssuerHolder& issuers_;
  const IdentityHolder& identity_;
  const Clock& clock_;
  EnrollmentPolicy policy_;
  DeviceClaims claims_;
  SessionMetrics metrics_;
};

// The Operation Pending failure reason for a session failure in a given operation.
FailureReason failure_reason(SessionFailure failure);

}  // namespace capf
