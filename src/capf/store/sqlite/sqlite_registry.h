// SqliteRegistry: the registry in one SQLite file (WAL), the default store.
//
// One connection guarded by a recursive mutex, so every method is safe from any thread and calls
// are serialised. transact() holds the mutex for the whole of fn(): registry calls that fn() makes
// on the same thread join its transaction; calls from other threads wait for it to finish (so fn()
// must not wait on another thread that uses this registry). Every write runs in a BEGIN IMMEDIATE
// transaction (a savepoint when nested); when another process (the CLI, a second server) holds the
// write lock for longer than SqliteOptions::busy_timeout_ms the call fails with kUnavailable.
// Other errors from SQLite are kDatabase, with SQLite's message and what was being done.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/store/device_store.h"
#include "capf/store/sqlite/sqlite_connection.h"

namespace capf {

class SqliteRegistry final : public Registry {
 public:
  // Opens (creating it if needed) the registry file and brings its schema up to date. Errors:
  // kDatabase when the file cannot be opened, is not an SQLite database or not an opencapf
  // registry, or has a schema newer than this build; kUnavailable when another process keeps it
  // locked. `clock` must outlive the registry.
  static Result<std::unique_ptr<SqliteRegistry>> open(const std::string& path, const Clock& clock,
                                                      SqliteOptions options = {});
  ~SqliteRegistry() override;
  SqliteRegistry(const SqliteRegistry&) = delete;
  SqliteRegistry& operator=(const SqliteRegistry&) = delete;

  // The schema version recorded in the file.
  Result<int> schema_version();
  // The pragmas in effect on this connection (synchronous is per connection: another connection
  // to the same file cannot see it).
  Result<SqliteSettings> effective_settings();

  // DeviceStore
  Result<std::optional<Device>> find_device(const DeviceName& name) override;
  Result<Device> insert_device(const Device& device) override;
  Result<Device> update_device(const Device& device) override;
  Status remove_device(const DeviceName& name) override;
  Result<std::vector<Device>> list_devices(const DeviceFilter& filter) override;
  Result<std::int64_t> count_devices(const DeviceFilter& filter) override;
  Result<int> record_auth_failure(const DeviceName& name, int max_attempts) override;

  // CertificateLedger
  Status record_issued(const IssuedCertificate& cert) override;
  Status set_certificate_state(const std::string& serial_hex, CertificateState state,
                               TimePoint when, const std::string& reason) override;
  Result<std::optional<IssuedCertificate>> find_certificate(const std::string& serial_hex) override;
  Result<std::vector<IssuedCertificate>> list_certificates(
      const CertificateFilter& filter) override;

  // EventLog
  Status append_event(const DeviceEvent& event) override;
  Result<std::vector<DeviceEvent>> recent_session_events(std::size_t limit) override;
  Result<std::vector<DeviceEvent>> device_events(const std::string& device_name,
                                                 std::size_t limit) override;

  // TrustRepository
  Status add_trust(const TrustEntry& entry) override;
  Status remove_trust(const std::string& store, const std::string& fingerprint) override;
  Result<std::vector<TrustEntry>> list_trust(const std::string& store) override;
  Result<std::int64_t> trust_generation() override;
  Result<std::int64_t> next_crl_number() override;

  // RequestQueue (in sqlite_requests.cc)
  Status insert_request(const CertificateRequestRecord& request) override;
  Status update_request(const CertificateRequestRecord& request) override;
  Result<std::optional<CertificateRequestRecord>> find_request(const std::string& id) override;
  Result<std::optional<CertificateRequestRecord>> open_request(
      const std::string& device_name) override;
  Result<std::vector<CertificateRequestRecord>> list_requests(const RequestFilter& filter) override;
  Result<std::int64_t> count_requests(const RequestFilter& filter) override;

  // AdminTokens and AuditLog (in sqlite_admin.cc)
  Result<AdminToken> insert_token(const AdminToken& token) override;
  Result<std::optional<AdminToken>> find_token(std::int64_t id) override;
  Result<std::vector<AdminToken>> list_tokens() override;
  Status revoke_token(std::int64_t id) override;
  Status touch_token(std::int64_t id, TimePoint when) override;
  Result<std::int64_t> append_audit(const AuditEntry& entry) override;
  Result<std::vector<AuditEntry>> list_audit(const AuditFilter& filter) override;

  // Registry
  Status transact(const std::function<Status()>& fn) override;
  // A read transaction (BEGIN, not IMMEDIATE): the server keeps writing meanwhile.
  Status read_snapshot(const std::function<Status()>& fn) override;
  // PRAGMA integrity_check and foreign_key_check.
  Result<std::vector<std::string>> integrity_problems() override;

 private:
  SqliteRegistry(std::unique_ptr<SqliteConnection> connection, const Clock& clock);

  Status migrate();
  // Runs fn in a write transaction on the connection (joining the caller's, if any).
  Status write(std::string_view doing, const std::function<Status()>& fn);
  // Call with mu_ held.
  Result<Device> read_device_locked(const DeviceName& name, std::string_view doing);
  Status bump_trust_generation();

  std::recursive_mutex mu_;  // held for every use of connection_, and for all of transact()
  std::unique_ptr<SqliteConnection> connection_;
  const Clock& clock_;
};

}  // namespace capf
