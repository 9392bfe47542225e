// SqlRegistry: the Registry written once over SqlConnection, for every SQL engine. SqliteRegistry
// and PgRegistry derive from it and answer only where the engines differ (opening, what a
// foreign database looks like, locks between nodes). The tables have their own files
// (sql_devices.cc, sql_ledger.cc, sql_events.cc, sql_trust.cc, sql_requests.cc, sql_admin.cc,
// sql_cluster.cc).
//
// One connection guarded by a recursive mutex: every method is safe from any thread and calls are
// serialised. Write transactions (transact() and every write method) that wait at the same time
// are committed together (group commit): one thread runs each caller's fn() in its own savepoint
// of one transaction and commits once, so one fsync serves them all; each caller gets its own
// result, and an error undoes only its own writes. Registry calls that fn() makes join that
// transaction (fn() may run on another caller's thread: it must not wait on another thread that
// uses this registry, nor depend on its own thread). A synced write made inside a DeferredSync
// scope on an engine that can defer (SQLite with fsync) commits without waiting for the disk and
// leaves a ticket in the scope; wait_durable() then syncs the WAL once for every commit made so
// far, while the writers go on (sql_durability.cc). Rows are changed by conditional UPDATEs,
// counters by UPDATE ... RETURNING: nothing repeats when several processes or nodes share the
// database.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/store/deferred_sync.h"
#include "capf/store/device_store.h"
#include "capf/store/migrations.h"
#include "capf/store/sql/sql_connection.h"

namespace capf {

struct Where;

class SqlRegistry : public Registry, public CommitSync {
 public:
  ~SqlRegistry() override;
  SqlRegistry(const SqlRegistry&) = delete;
  SqlRegistry& operator=(const SqlRegistry&) = delete;

  // The schema version recorded in the database.
  Result<int> schema_version();
  // Runs fn on this registry's connection, every other use waiting meanwhile: for code that works
  // on the tables themselves rather than through the store interfaces (daemon/registry_copy.cc).
  Status with_connection(const std::function<Status(SqlConnection&)>& fn) {
    std::lock_guard lock(mu_);
    return fn(*connection_);
  }

  // DeviceStore (sql_devices.cc)
  Result<std::optional<Device>> find_device(const DeviceName& name) override;
  Result<Device> insert_device(const Device& device) override;
  Result<Device> update_device(const Device& device) override;
  Status remove_device(const DeviceName& name) override;
  Result<std::vector<Device>> list_devices(const DeviceFilter& filter) override;
  Result<std::int64_t> count_devices(const DeviceFilter& filter) override;
  Result<int> record_auth_failure(const DeviceName& name, int max_attempts) override;

  // CertificateLedger (sql_ledger.cc)
  Status record_issued(const IssuedCertificate& cert) override;
  Status set_certificate_state(const std::string& serial_hex, CertificateState state,
                               TimePoint when, const std::string& reason) override;
  Result<std::optional<IssuedCertificate>> find_certificate(const std::string& serial_hex) override;
  Result<std::vector<IssuedCertificate>> list_certificates(
      const CertificateFilter& filter) override;

  // EventLog (sql_events.cc)
  Status append_event(const DeviceEvent& event) override;
  Result<std::vector<DeviceEvent>> recent_session_events(std::size_t limit) override;
  Result<std::vector<DeviceEvent>> device_events(const std::string& device_name,
                                                 std::size_t limit) override;

  // TrustRepository (sql_trust.cc)
  Status add_trust(const TrustEntry& entry) override;
  Status remove_trust(const std::string& store, const std::string& fingerprint) override;
  Result<std::vector<TrustEntry>> list_trust(const std::string& store) override;
  Result<std::int64_t> trust_generation() override;
  Result<std::int64_t> next_crl_number() override;

  // RequestQueue (sql_requests.cc)
  Status insert_request(const CertificateRequestRecord& request) override;
  Status update_request(const CertificateRequestRecord& request) override;
  Result<std::optional<CertificateRequestRecord>> find_request(const std::string& id) override;
  Result<std::optional<CertificateRequestRecord>> open_request(
      const std::string& device_name) override;
  Result<std::vector<CertificateRequestRecord>> list_requests(const RequestFilter& filter) override;
  Result<std::int64_t> count_requests(const RequestFilter& filter) override;

  // AdminTokens and AuditLog (sql_admin.cc)
  Result<AdminToken> insert_token(const AdminToken& token) override;
  Result<std::optional<AdminToken>> find_token(std::int64_t id) override;
  Result<std::vector<AdminToken>> list_tokens() override;
  Status revoke_token(std::int64_t id) override;
  Status touch_token(std::int64_t id, TimePoint when) override;
  Result<std::int64_t> append_audit(const AuditEntry& entry) override;
  Result<std::vector<AuditEntry>> list_audit(const AuditFilter& filter) override;

  // ClusterState (sql_cluster.cc)
  Result<ClaimResult> claim_device(const DeviceClaim& claim) override;
  Result<bool> renew_claim(const std::string& device_name, const std::string& node,
                           const std::string& session, TimePoint expires) override;
  Status release_claim(const std::string& device_name, const std::string& node,
                       const std::string& session) override;
  Result<std::int64_t> extend_node_claims(const std::string& node, TimePoint expires) override;
  Result<std::vector<DeviceClaim>> release_node_claims(const std::string& node) override;
  Result<std::vector<DeviceClaim>> list_claims() override;
  Status heartbeat(const NodeHeartbeat& node) override;
  Result<std::vector<NodeHeartbeat>> list_nodes(TimePoint seen_since) override;
  Result<std::optional<ClusterSetting>> find_setting(const std::string& name) override;
  Result<std::int64_t> put_setting(const std::string& name, const std::string& value,
                                   std::int64_t expected_version) override;
  Result<std::vector<ClusterSetting>> list_settings() override;

  // How many write transactions callers asked for, how many commits carried them (group commit:
  // writes that wait at the same time share one commit, so one fsync), how many of those
  // commits waited for the disk (the others held only unsynced or deferred writes), how many
  // carried deferred writes, and how many syncs wait_durable() made for them.
  struct WriteStats {
    std::int64_t writes = 0;
    std::int64_t commits = 0;
    std::int64_t synced_commits = 0;
    std::int64_t deferred_commits = 0;
    std::int64_t log_syncs = 0;
  };
  WriteStats write_stats() const {
    return {writes_.load(), commits_.load(), synced_commits_.load(), deferred_commits_.load(),
            log_syncs_.load()};
  }

  // CommitSync (sql_durability.cc): one sync of the WAL covers every commit made before it; while
  // it runs, other callers wait for it (or for the next) and writers go on.
  Status wait_durable(std::uint64_t ticket) override;
  // Write transactions waiting for the one being committed now to finish.
  std::size_t waiting_writes() {
    std::lock_guard lock(queue_mu_);
    return waiting_.size();
  }

  // Registry
  Status transact(const std::function<Status()>& fn) override;
  Status transact_unsynced(const std::function<Status()>& fn) override;
  // A read-only transaction: one snapshot, writers go on meanwhile.
  Status read_snapshot(const std::function<Status()>& fn) override;

 protected:
  SqlRegistry(std::unique_ptr<SqlConnection> connection, const Clock& clock, SqlDialect dialect);

  // Brings the schema up to date (the engine's open() calls it once).
  Status migrate();
  // Runs fn in a write transaction on the connection (joining the caller's, if any, whose
  // durability then applies). `synced` false: the commit need not wait for the disk (a batch is
  // synced when any of its writes is).
  Status write(std::string_view doing, const std::function<Status()>& fn, bool synced = true);
  // A statement on this registry's connection; call with mu_ held.
  std::unique_ptr<SqlStatement> query(std::string_view sql) { return connection_->statement(sql); }

  // What the engine checks first in migrate()'s transaction: that the database holds no other
  // program's tables (kDatabase, naming the fix), after taking any lock between nodes.
  virtual Status check_before_migration() = 0;
  // What "the schema is newer than this build" tells the user to do.
  virtual std::string_view upgrade_advice() const = 0;
  // Inside insert_request()'s transaction: makes other nodes' inserts for the same device wait
  // for its end. Engines whose writes are already serialised do nothing.
  virtual Status lock_device_requests(const std::string& device_name, std::string_view doing);

  std::recursive_mutex mu_;  // held for every use of connection_, and for all of transact()

 private:
  // Call with mu_ held.
  Result<Device> read_device_locked(const DeviceName& name, std::string_view doing);
  Result<std::int64_t> bump_counter(std::string_view name, std::string_view doing);
  // `select_from` (SELECT ... FROM table) with `where`, ORDER BY `order` and LIMIT `limit`, bound;
  // call with mu_ held.
  std::unique_ptr<SqlStatement> page_query(std::string_view select_from, const Where& where,
                                           std::string_view order, std::size_t limit);
  // The rows of page_query() through `read`.
  template <typename T, typename Read>
  Result<std::vector<T>> list_page(std::string_view select_from, const Where& where,
                                   std::string_view order, std::size_t limit,
                                   std::string_view doing, Read read) {
    std::lock_guard lock(mu_);
    return read_all<T>(*page_query(select_from, where, order, limit), doing, read);
  }
  // The row of `table` whose `key_column` is `key`, through `read`, or nullopt.
  template <typename T, typename Key, typename Read>
  Result<std::optional<T>> find_row(std::string_view table, std::string_view columns,
                                    std::string_view key_column, const Key& key,
                                    std::string_view doing, Read read) {
    std::lock_guard lock(mu_);
    auto q = query(fmt::format("SELECT {} FROM {} WHERE {} = ?", columns, table, key_column));
    return read_first<T>(q->bind(key), doing, read);
  }
  // SELECT COUNT(*) FROM `table` with `where`.
  Result<std::int64_t> count_rows(std::string_view table, const Where& where,
                                  std::string_view doing);

  // Group commit (write()): a write transaction that is not nested waits in `waiting_`; one
  // waiter at a time leads, runs up to kMaxBatch waiting writes each in its own savepoint of one
  // transaction and commits them together, then wakes them with their own results.
  struct PendingWrite;
  void commit_batch(const std::vector<PendingWrite*>& batch);

  std::unique_ptr<SqlConnection> connection_;
  const Clock& clock_;
  SqlDialect dialect_;
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::vector<PendingWrite*> waiting_;  // guarded by queue_mu_
  bool leading_ = false;                // guarded by queue_mu_: a batch is being committed
  // The thread inside a write transaction now: its writes join it (nested, as savepoints).
  std::atomic<std::thread::id> tx_owner_{};
  std::atomic<std::int64_t> writes_{0};
  std::atomic<std::int64_t> commits_{0};
  std::atomic<std::int64_t> synced_commits_{0};
  std::atomic<std::int64_t> deferred_commits_{0};
  std::atomic<std::int64_t> log_syncs_{0};

  // Deferred durability: every commit gets the next number (committed_, under mu_); synced_ is
  // the highest number known to be on disk (a synced commit's, or what a log sync covered).
  // Call with mu_ held, after a commit: its number, and (synced) that it and all before are on
  // disk.
  std::uint64_t note_commit(bool synced);
  std::atomic<std::uint64_t> committed_{0};
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  std::uint64_t synced_ = 0;  // guarded by sync_mu_
  bool syncing_ = false;      // guarded by sync_mu_: a log sync runs now
};

}  // namespace capf
