// SqlRegistry itself: the schema migrations, transactions and the registry counters.
#include "capf/store/sql/sql_registry.h"

#include <algorithm>
#include <exception>
#include <utility>

#include <fmt/format.h>

#include "capf/store/sql_where.h"

namespace capf {

SqlRegistry::SqlRegistry(std::unique_ptr<SqlConnection> connection, const Clock& clock,
                         SqlDialect dialect)
    : connection_(std::move(connection)), clock_(clock), dialect_(dialect) {}

SqlRegistry::~SqlRegistry() = default;

namespace {

// At most this many writes share one commit: bounds how long the first of them waits.
constexpr std::size_t kMaxBatch = 64;

}  // namespace

struct SqlRegistry::PendingWrite {
  std::string_view doing;
  const std::function<Status()>* fn;
  bool synced = true;
  bool deferred = false;     // synced, but the caller waits later (DeferredSync)
  std::uint64_t ticket = 0;  // the commit's number, for a deferred write
  Status result = ok();
  std::exception_ptr thrown;
  bool done = false;
};

Status SqlRegistry::write(std::string_view doing, const std::function<Status()>& fn, bool synced) {
  if (tx_owner_.load() == std::this_thread::get_id()) {
    // Inside a write transaction of this thread (maybe another caller's, in the batch it leads):
    // a savepoint of it.
    std::lock_guard lock(mu_);
    return connection_->in_transaction(doing, fn, /*read_only=*/false);
  }
  DeferredSync* scope = synced ? DeferredSync::current() : nullptr;
  PendingWrite mine{.doing = doing,
                    .fn = &fn,
                    .synced = synced,
                    .deferred = scope != nullptr && connection_->can_defer_sync(),
                    .ticket = 0,
                    .result = ok(),
                    .thrown = nullptr,
                    .done = false};
  std::unique_lock queue_lock(queue_mu_);
  waiting_.push_back(&mine);
  queue_cv_.wait(queue_lock, [&] { return mine.done || !leading_; });
  if (!mine.done) {
    // Lead: commit what waits now (this write among it), then hand over to the next waiter.
    leading_ = true;
    const std::size_t n = std::min(waiting_.size(), kMaxBatch);
    std::vector<PendingWrite*> batch(waiting_.begin(), waiting_.begin() + static_cast<long>(n));
    waiting_.erase(waiting_.begin(), waiting_.begin() + static_cast<long>(n));
    queue_lock.unlock();
    try {
      commit_batch(batch);
    } catch (...) {  // the batch's own bookkeeping failed (out of memory): fail every write
      for (PendingWrite* w : batch)
        w->thrown = std::current_exception();
    }
    queue_lock.lock();
    for (PendingWrite* w : batch)
      w->done = true;
    leading_ = false;
    queue_cv_.notify_all();
  }
  if (mine.thrown)
    std::rethrow_exception(mine.thrown);
  if (mine.deferred && mine.result)
    scope->add(mine.ticket);
  return mine.result;
}

void SqlRegistry::commit_batch(const std::vector<PendingWrite*>& batch) {
  std::lock_guard lock(mu_);
  tx_owner_.store(std::this_thread::get_id());
  // Other uses of the connection (with_connection()) commit synced again.
  struct Owner {
    std::atomic<std::thread::id>& owner;
    SqlConnection& connection;
    ~Owner() {
      owner.store(std::thread::id());
      connection.set_synced_commits(true);
    }
  } owner{tx_owner_, *connection_};
  // Synced when a write waits for the disk in its commit; a deferred one waits later.
  const bool synced = std::any_of(batch.begin(), batch.end(),
                                  [](const PendingWrite* w) { return w->synced && !w->deferred; });
  const bool deferred =
      std::any_of(batch.begin(), batch.end(), [](const PendingWrite* w) { return w->deferred; });
  connection_->set_synced_commits(synced);
  // Each write runs as its caller's fn would: an error or exception undoes its own writes only.
  auto run = [&](PendingWrite& w) -> Status {
    try {
      return (*w.fn)();
    } catch (...) {
      w.thrown = std::current_exception();
      return make_error(ErrorCode::kInternal, "{}: an exception was thrown", w.doing);
    }
  };
  bool committed = false;
  if (batch.size() == 1) {
    batch[0]->result = connection_->in_transaction(
        batch[0]->doing, [&] { return run(*batch[0]); }, /*read_only=*/false);
    committed = batch[0]->result.has_value();
  } else {
    Status together = connection_->in_transaction(
        fmt::format("committing {} registry writes together", batch.size()),
        [&]() -> Status {
          for (PendingWrite* w : batch) {
            w->result = connection_->in_transaction(
                w->doing, [&] { return run(*w); }, /*read_only=*/false);
          }
          return ok();
        },
        /*read_only=*/false);
    committed = together.has_value();
    if (!together) {
      // Nothing of the batch was committed: every write that had succeeded fails with the commit.
      for (PendingWrite* w : batch) {
        if (w->result)
          w->result = together.error().with_context(w->doing);
      }
    }
  }
  writes_ += static_cast<std::int64_t>(batch.size());
  ++commits_;
  if (synced)
    ++synced_commits_;
  if (deferred)
    ++deferred_commits_;
  // Only a commit that happened syncs what came before it.
  const std::uint64_t number = note_commit(synced && committed);
  for (PendingWrite* w : batch)
    w->ticket = number;
}

Status SqlRegistry::migrate() {
  return write("migrating the registry schema", [&]() -> Status {
    CAPF_TRY(check_before_migration());
    CAPF_TRY(connection_->exec(std::string(kSchemaVersionTable), "creating schema_version"));
    CAPF_ASSIGN_OR_RETURN(int current, schema_version());
    if (current > latest_schema_version()) {
      return make_error(ErrorCode::kDatabase,
                        "registry schema version {} is newer than this opencapf supports ({}): {}",
                        current, latest_schema_version(), upgrade_advice());
    }
    for (const Migration& m : migrations()) {
      if (m.version <= current) {
        continue;
      }
      auto doing = fmt::format("applying schema migration {} ({})", m.version, m.description);
      CAPF_TRY(connection_->exec(render_sql(m.sql, dialect_), doing));
      CAPF_TRY(query("INSERT INTO schema_version (version, description, applied_at) "
                     "VALUES (?, ?, ?)")
                   ->bind(m.version)
                   .bind(m.description)
                   .bind(clock_.now())
                   .run(doing));
    }
    return ok();
  });
}

Result<int> SqlRegistry::schema_version() {
  std::lock_guard lock(mu_);
  auto q = query("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  CAPF_ASSIGN_OR_RETURN(bool row, q->step("reading the schema version"));
  return row ? static_cast<int>(q->integer(0)) : 0;
}

Status SqlRegistry::transact(const std::function<Status()>& fn) {
  return write("running a registry transaction", fn);
}

Status SqlRegistry::transact_unsynced(const std::function<Status()>& fn) {
  return write("running an unsynced registry transaction", fn, /*synced=*/false);
}

Status SqlRegistry::read_snapshot(const std::function<Status()>& fn) {
  std::lock_guard lock(mu_);
  return connection_->in_transaction("reading the registry", fn, /*read_only=*/true);
}

Status SqlRegistry::lock_device_requests(const std::string& /*device_name*/,
                                         std::string_view /*doing*/) {
  return ok();
}

Result<std::int64_t> SqlRegistry::bump_counter(std::string_view name, std::string_view doing) {
  // One statement: the write lock (SQLite) or the row lock (PostgreSQL) orders every bump, so no
  // value is handed out twice.
  auto q = query("UPDATE registry_counters SET value = value + 1 WHERE name = ? RETURNING value");
  CAPF_ASSIGN_OR_RETURN(bool row, q->bind(name).step(doing));
  if (!row) {
    return make_error(ErrorCode::kDatabase,
                      "the registry has no {} counter: restore it from a backup", name);
  }
  return q->integer(0);
}

std::unique_ptr<SqlStatement> SqlRegistry::page_query(std::string_view select_from,
                                                      const Where& where, std::string_view order,
                                                      std::size_t limit) {
  auto q = query(fmt::format("{}{} ORDER BY {} LIMIT ?", select_from, where.sql, order));
  where.bind_to(*q);
  q->bind(to_sql_limit(limit));
  return q;
}

Result<std::int64_t> SqlRegistry::count_rows(std::string_view table, const Where& where,
                                             std::string_view doing) {
  std::lock_guard lock(mu_);
  auto q = query(fmt::format("SELECT COUNT(*) FROM {}{}", table, where.sql));
  where.bind_to(*q);
  CAPF_ASSIGN_OR_RETURN(bool row, q->step(doing));
  return row ? q->integer(0) : std::int64_t{0};
}

}  // namespace capf
