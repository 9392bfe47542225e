// PgRegistry: the registry in a PostgreSQL database, for several opencapf nodes sharing one fleet
// (docs/cluster.md). The same tables as SQLite (store/migrations.h), the same SQL texts where the
// dialects agree (store/sql_rows.h, store/sql_where.h).
//
// One connection guarded by a recursive mutex, as SqliteRegistry: every method is safe from any
// thread; transact() holds the mutex for the whole of fn(), and calls fn() makes on the same
// thread join its transaction. Other nodes and processes have their own connections: rows are
// changed by conditional UPDATEs (row locks), counters by UPDATE ... RETURNING and ids by identity
// sequences, so nothing repeats across nodes. The schema is migrated by whichever node opens the
// database first, under a transaction-scoped advisory lock. A lost connection fails the call with
// kUnavailable and is re-established by the next call outside a transaction.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/store/device_store.h"
#include "capf/store/postgres/pg_connection.h"

namespace capf {

class PgRegistry final : public Registry {
 public:
  // Connects to `url` (postgresql://USER@HOST:PORT/DATABASE or libpq's key=value form) and
  // brings the schema up to date. Errors, each naming the fix: kInvalidArgument for a malformed
  // URL or one with a password; kUnavailable when the server cannot be reached; kDatabase when
  // the database holds another program's tables or a schema newer than this build (nothing is
  // written then). `clock` must outlive the registry.
  static Result<std::unique_ptr<PgRegistry>> open(const std::string& url, const Clock& clock,
                                                  const PgOptions& options = {});
  ~PgRegistry() override;
  PgRegistry(const PgRegistry&) = delete;
  PgRegistry& operator=(const PgRegistry&) = delete;

  // The schema version recorded in the database.
  Result<int> schema_version();

  // DeviceStore (pg_devices.cc)
  Result<std::optional<Device>> find_device(const DeviceName& name) override;
  Result<Device> insert_device(const Device& device) override;
  Result<Device> update_device(const Device& device) override;
  Status remove_device(const DeviceName& name) override;
  Result<std::vector<Device>> list_devices(const DeviceFilter& filter) override;
  Result<std::int64_t> count_devices(const DeviceFilter& filter) override;
  Result<int> record_auth_failure(const DeviceName& name, int max_attempts) override;

  // CertificateLedger (pg_ledger.cc)
  Status record_issued(const IssuedCertificate& cert) override;
  Status set_certificate_state(const std::string& serial_hex, CertificateState state,
                               TimePoint when, const std::string& reason) override;
  Result<std::optional<IssuedCertificate>> find_certificate(const std::string& serial_hex) override;
  Result<std::vector<IssuedCertificate>> list_certificates(
      const CertificateFilter& filter) override;

  // EventLog (pg_events.cc)
  Status append_event(const DeviceEvent& event) override;
  Result<std::vector<DeviceEvent>> recent_session_events(std::size_t limit) override;
  Result<std::vector<DeviceEvent>> device_events(const std::string& device_name,
                                                 std::size_t limit) override;

  // TrustRepository (pg_trust.cc)
  Status add_trust(const TrustEntry& entry) override;
  Status remove_trust(const std::string& store, const std::string& fingerprint) override;
  Result<std::vector<TrustEntry>> list_trust(const std::string& store) override;
  Result<std::int64_t> trust_generation() override;
  Result<std::int64_t> next_crl_number() override;

  // RequestQueue (pg_requests.cc)
  Status insert_request(const CertificateRequestRecord& request) override;
  Status update_request(const CertificateRequestRecord& request) override;
  Result<std::optional<CertificateRequestRecord>> find_request(const std::string& id) override;
  Result<std::optional<CertificateRequestRecord>> open_request(
      const std::string& device_name) override;
  Result<std::vector<CertificateRequestRecord>> list_requests(const RequestFilter& filter) override;
  Result<std::int64_t> count_requests(const RequestFilter& filter) override;

  // AdminTokens and AuditLog (pg_admin.cc)
  Result<AdminToken> insert_token(const AdminToken& token) override;
  Result<std::optional<AdminToken>> find_token(std::int64_t id) override;
  Result<std::vector<AdminToken>> list_tokens() override;
  Status revoke_token(std::int64_t id) override;
  Status touch_token(std::int64_t id, TimePoint when) override;
  Result<std::int64_t> append_audit(const AuditEntry& entry) override;
  Result<std::vector<AuditEntry>> list_audit(const AuditFilter& filter) override;

  // Registry
  Status transact(const std::function<Status()>& fn) override;
  // A REPEATABLE READ READ ONLY transaction: one snapshot, writers go on.
  Status read_snapshot(const std::function<Status()>& fn) override;

 private:
  PgRegistry(std::unique_ptr<PgConnection> connection, const Clock& clock);

  Status migrate();
  // Runs fn in a write transaction on the connection (joining the caller's, if any).
  Status write(std::string_view doing, const std::function<Status()>& fn);
  // A statement on this registry's connection; call with mu_ held.
  PgQuery query(std::string_view sql) { return PgQuery(*connection_, sql); }
  // Call with mu_ held.
  Result<Device> read_device_locked(const DeviceName& name, std::string_view doing);
  Result<std::int64_t> bump_counter(std::string_view name, std::string_view doing);

  std::recursive_mutex mu_;  // held for every use of connection_, and for all of transact()
  std::unique_ptr<PgConnection> connection_;
  const Clock& clock_;
};

}  // namespace capf
