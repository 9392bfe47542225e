// The registry's interfaces. Every method blocks on the database: call them from a worker thread,
// never from an I/O thread. Implementations are thread-safe and may be shared by several processes
// (the CLI writes while the server runs) and, for PostgreSQL, several nodes. Times are kept to the
// second: the sub-second part of a TimePoint is dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/domain/device.h"
#include "capf/store/cluster_state.h"

namespace capf {

// Every set field must match. Names compare byte-wise (SEP names are stored upper-case).
struct DeviceFilter {
  std::optional<std::string> name_prefix{};
  std::optional<Operation> operation{};
  std::optional<StatusKind> status_kind{};
  std::optional<AuthMode> auth_mode{};
  std::optional<TimePoint> lsc_expires_before{};  // devices with an LSC whose not_after is earlier
  bool with_lsc_only = false;
  bool without_lsc_only = false;  // devices with no LSC known
  std::size_t limit = 1000;
  std::string after_name{};  // keyset pagination: names strictly greater than this
};

class DeviceStore {
 public:
  virtual ~DeviceStore() = default;

  // nullopt when no device has this name.
  virtual Result<std::optional<Device>> find_device(const DeviceName& name) = 0;
  // Inserts a new device; kAlreadyExists if the name is taken. Sets created/updated/version.
  virtual Result<Device> insert_device(const Device& device) = 0;
  // Replaces the device if its stored version equals device.version (kConflict otherwise,
  // kNotFound if it is gone). Returns the stored row with its new version.
  virtual Result<Device> update_device(const Device& device) = 0;
  // kNotFound if absent.
  virtual Status remove_device(const DeviceName& name) = 0;
  // Ordered by name, at most filter.limit.
  virtual Result<std::vector<Device>> list_devices(const DeviceFilter& filter) = 0;
  // How many devices list_devices would return without the limit (after_name is honoured).
  virtual Result<std::int64_t> count_devices(const DeviceFilter& filter) = 0;
  // Counts one authentication-string attempt before the string is compared, so that sessions
  // racing for the same device cannot compare more strings than `max_attempts`: auth_failures
  // grows by one in a single atomic step unless it already reached max_attempts (then
  // kPermissionDenied and nothing changes). Returns the new count and bumps the version.
  // kNotFound for an unknown device. This default is a compare-and-set on the version; stores
  // override it with one conditional UPDATE.
  virtual Result<int> record_auth_failure(const DeviceName& name, int max_attempts) {
    for (;;) {
      CAPF_ASSIGN_OR_RETURN(std::optional<Device> found, find_device(name));
      if (!found)
        return make_error(ErrorCode::kNotFound, "no device named {}", name.str());
      if (found->auth_failures >= max_attempts) {
        return make_error(ErrorCode::kPermissionDenied,
                          "locked after {} wrong authentication strings: set the operation again "
                          "to unlock it",
                          found->auth_failures);
      }
      ++found->auth_failures;
      auto stored = update_device(*found);
      if (stored)
        return stored->auth_failures;
      if (stored.error().code != ErrorCode::kConflict)
        return stored.error();
    }
  }
};

// The state of an issued certificate in the ledger.
enum class CertificateState {
  kIssued,     // signed and recorded, sent (or about to be sent) to the phone
  kInstalled,  // the phone confirmed storing it
  kRejected,   // the phone refused or the session ended before it confirmed
  kRevoked,
};
std::string_view to_string(CertificateState state);
Result<CertificateState> parse_certificate_state(std::string_view text);

struct IssuedCertificate {
  std::string serial_hex{};
  std::string device_name{};
  std::string issuer{};  // issuer DN
  std::string subject{};
  std::string key_spec{};  // "rsa:2048", "ec:p256"
  TimePoint not_before{};
  TimePoint not_after{};
  std::string pem{};
  CertificateState state = CertificateState::kIssued;
  TimePoint issued_at{};
  TimePoint state_time{};
  std::string session{};  // session id (hex) that delivered it
  std::string revocation_reason{};
};

struct CertificateFilter {
  std::optional<std::string> device_name{};
  std::optional<std::string> serial_hex{};
  std::optional<CertificateState> state{};
  std::optional<TimePoint> expires_before{};
  std::size_t limit = 1000;
};

class CertificateLedger {
 public:
  virtual ~CertificateLedger() = default;
  // Records a newly issued certificate; kAlreadyExists for a serial already recorded. Durable on
  // return (the certificate is sent to the phone only after this); inside transact(), durable when
  // the transaction commits.
  virtual Status record_issued(const IssuedCertificate& cert) = 0;
  // Sets state, state_time = when and revocation_reason = reason; kNotFound for an unknown serial.
  virtual Status set_certificate_state(const std::string& serial_hex, CertificateState state,
                                       TimePoint when, const std::string& reason) = 0;
  virtual Result<std::optional<IssuedCertificate>> find_certificate(
      const std::string& serial_hex) = 0;
  // Newest first (by issued_at, then serial), at most filter.limit.
  virtual Result<std::vector<IssuedCertificate>> list_certificates(
      const CertificateFilter& filter) = 0;
};

// One line of a device's history: what happened, when, in which session.
struct DeviceEvent {
  std::string device_name{};
  TimePoint time{};
  std::string session{};  // "" for admin changes
  std::string kind{};     // "admin", "session", "status", "issued", ...
  std::string detail{};
};

class EventLog {
 public:
  virtual ~EventLog() = default;
  virtual Status append_event(const DeviceEvent& event) = 0;
  // Newest first (events of the same second: the last appended first), at most `limit`.
  virtual Result<std::vector<DeviceEvent>> device_events(const std::string& device_name,
                                                         std::size_t limit) = 0;
  // What phone sessions ended with, across every device, the most recently recorded first: the
  // events with a session id of kind "status", "pending" or "troubleshoot"; at most `limit`.
  virtual Result<std::vector<DeviceEvent>> recent_session_events(std::size_t limit) = 0;
};

// A certificate in a named trust store ("capf-trust", "callmanager-trust").
struct TrustEntry {
  std::string store{};
  std::string fingerprint{};  // SHA-256 hex of the DER
  std::string subject{};
  std::string issuer{};
  TimePoint not_after{};
  std::string pem{};
  std::string label{};  // e.g. "capf (current)", "capf (previous)", or the file it came from
  TimePoint added{};
};

class TrustRepository {
 public:
  virtual ~TrustRepository() = default;
  // kAlreadyExists if the same certificate is already in that store. The fingerprint is stored as
  // lower-case hex (upper case and ':' separators are accepted; kInvalidArgument unless it has 64
  // hex digits); `added` is set from the registry's clock.
  virtual Status add_trust(const TrustEntry& entry) = 0;
  // kNotFound if absent. `fingerprint` may be a unique prefix of at least 8 hex digits
  // (kInvalidArgument when shorter or when it matches several certificates of the store).
  virtual Status remove_trust(const std::string& store, const std::string& fingerprint) = 0;
  // Ordered by subject, then fingerprint.
  virtual Result<std::vector<TrustEntry>> list_trust(const std::string& store) = 0;
  // Grows on every add/remove in any store: callers cache parsed stores against it.
  virtual Result<std::int64_t> trust_generation() = 0;
  // The next CRL number: 1, 2, 3, ... never the same twice, durable on return.
  virtual Result<std::int64_t> next_crl_number() = 0;
};

// A phone-signed certificate request on its way through an external CA (online or offline mode).
enum class RequestState {
  kWaiting,     // sent to (online) or waiting for (offline) the CA
  kReady,       // the CA's certificate is here; it goes to the phone at its next contact
  kDelivered,   // the phone stored it
  kFailed,      // the CA refused, or the request could not be completed
  kSuperseded,  // a newer request for the same device replaced it
  kCancelled,   // an administrator deleted it
};
std::string_view to_string(RequestState state);
Result<RequestState> parse_request_state(std::string_view text);

struct CertificateRequestRecord {
  std::string id;  // unique, chosen by the caller (hex)
  std::string device_name{};
  std::string mode{};      // "online" or "offline"
  std::string ca{};        // which CA: "adcs https://ca.example.net/certsrv", "offline", ...
  std::string key_spec{};  // "rsa:2048", "ec:p256"
  std::string csr_pem{};   // the phone-signed PKCS#10
  std::string spki_fingerprint{};  // SHA-256 hex of the phone's SubjectPublicKeyInfo (import match)
  std::string ticket{};            // the CA's request id, once it has one
  RequestState state = RequestState::kWaiting;
  std::string certificate_pem{};  // the issued certificate and its chain, once kReady
  std::string certificate_serial{};
  std::string last_error{};  // the CA's own words for the last failure
  int attempts = 0;          // exchanges with the CA so far
  TimePoint created{};
  TimePoint updated{};
  std::string session{};  // the phone session that made it
};

struct RequestFilter {
  std::optional<std::string> device_name{};
  std::optional<std::string> mode{};
  std::optional<RequestState> state{};
  std::optional<std::string> spki_fingerprint{};
  std::size_t limit = 1000;
};

class RequestQueue {
 public:
  virtual ~RequestQueue() = default;
  // Records a new request (kAlreadyExists for a known id). Every older request of the same device
  // that is still kWaiting or kReady becomes kSuperseded in the same transaction. Sets
  // created/updated from the registry's clock.
  virtual Status insert_request(const CertificateRequestRecord& request) = 0;
  // Replaces the stored request with the same id (kNotFound if none); sets updated.
  virtual Status update_request(const CertificateRequestRecord& request) = 0;
  virtual Result<std::optional<CertificateRequestRecord>> find_request(const std::string& id) = 0;
  // The device's newest request that is kWaiting or kReady, if any.
  virtual Result<std::optional<CertificateRequestRecord>> open_request(
      const std::string& device_name) = 0;
  // Oldest first.
  virtual Result<std::vector<CertificateRequestRecord>> list_requests(
      const RequestFilter& filter) = 0;
  virtual Result<std::int64_t> count_requests(const RequestFilter& filter) = 0;
};

// Who may do what through the admin API: viewer reads, operator also changes devices and schedules
// operations, admin does everything (tokens, trust stores, the CAPF identity).
enum class AdminRole { kViewer, kOperator, kAdmin };
std::string_view to_string(AdminRole role);
// "viewer", "operator" or "admin"; kInvalidArgument naming the three otherwise.
Result<AdminRole> parse_admin_role(std::string_view text);

// An API token as stored: never the secret itself, only its SHA-256.
struct AdminToken {
  std::int64_t id = 0;  // assigned by the registry
  std::string name{};
  AdminRole role = AdminRole::kViewer;
  std::string hash_hex{};  // SHA-256 of the secret, 64 lower-case hex digits
  TimePoint created{};
  std::optional<TimePoint> last_used{};
  std::optional<TimePoint> revoked{};  // when it was revoked; a revoked token authorises nothing
  std::optional<TimePoint> expires{};  // from then on it authorises nothing; nullopt: never
};

class AdminTokens {
 public:
  virtual ~AdminTokens() = default;
  // Records a new token; returns it with its id and `created` (from the registry's clock);
  // `expires` is stored as given (whole seconds). kInvalidArgument unless hash_hex has 64 hex
  // digits and name is not empty; kAlreadyExists for a hash already stored.
  virtual Result<AdminToken> insert_token(const AdminToken& token) = 0;
  // nullopt for an unknown id (revoked tokens are returned, with `revoked` set).
  virtual Result<std::optional<AdminToken>> find_token(std::int64_t id) = 0;
  // Every token, revoked ones included, ordered by id.
  virtual Result<std::vector<AdminToken>> list_tokens() = 0;
  // Sets `revoked` to now; kNotFound for an unknown id; revoking twice keeps the first time.
  virtual Status revoke_token(std::int64_t id) = 0;
  // Sets last_used; kNotFound for an unknown id.
  virtual Status touch_token(std::int64_t id, TimePoint when) = 0;
};

// One administrative change: who did what to which object, and the object before and after.
struct AuditEntry {
  std::int64_t id = 0;   // assigned by the registry; grows with every entry
  TimePoint time{};      // set from the registry's clock
  std::string actor{};   // "cli:alice", "token:3:ops-team"
  std::string action{};  // "device.set", "device.remove", "token.create", "trust.add", ...
  std::string target{};  // the device name, token id, trust store, ...
  std::string before{};  // JSON text of the object before the change; "" when it did not exist
  std::string after{};   // JSON text after the change; "" when it is gone
};

struct AuditFilter {
  std::optional<std::string> target{};
  std::optional<std::string> actor{};
  std::int64_t before_id = 0;  // keyset pagination: entries with a smaller id (0: from the newest)
  std::size_t limit = 100;
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;
  // Appends an entry (id and time are the registry's); returns its id. Inside transact(), it is
  // written or rolled back with the change it records.
  virtual Result<std::int64_t> append_audit(const AuditEntry& entry) = 0;
  // Newest first (by id), at most filter.limit.
  virtual Result<std::vector<AuditEntry>> list_audit(const AuditFilter& filter) = 0;
};

// The whole registry: what a store implementation provides.
class Registry : public DeviceStore,
                 public CertificateLedger,
                 public EventLog,
                 public TrustRepository,
                 public RequestQueue,
                 public AdminTokens,
                 public AuditLog,
                 public ClusterState {
 public:
  // Runs `fn` inside one transaction (used for read-modify-write of a device together with its
  // ledger and events); rolls back if fn returns an error. Registry calls that fn makes on the
  // calling thread join the transaction; a failed call undoes only its own writes, so fn may handle
  // the error and go on. A transact() inside fn is a nested unit (a savepoint): its error undoes
  // its own writes only. Returns fn's error, or kUnavailable/kDatabase when the commit fails.
  virtual Status transact(const std::function<Status()>& fn) = 0;
  // transact() for writes that need no durability of their own (a device claim, the busy and
  // interrupted history lines): the commit does not wait for the disk, and becomes durable with
  // the next one that does (commit order is kept); a crash of the machine or of the database
  // server before that may lose it, never a later synced commit. Atomicity and visibility to other
  // nodes are transact()'s. This default is transact().
  virtual Status transact_unsynced(const std::function<Status()>& fn) { return transact(fn); }
  // Runs `fn` over one consistent view of the registry without blocking writers where the store
  // allows it (a read transaction); for checks that read many rows while the server runs. `fn`
  // must only read. This default takes a full transaction.
  virtual Status read_snapshot(const std::function<Status()>& fn) { return transact(fn); }
  // What the database engine finds wrong with its own files (torn pages, broken indexes, rows
  // that break a foreign key), one line per problem; empty when sound. This default reports
  // nothing: a store without such a check relies on its server's own.
  virtual Result<std::vector<std::string>> integrity_problems() {
    return std::vector<std::string>{};
  }
};

}  // namespace capf
