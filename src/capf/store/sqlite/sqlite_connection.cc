#include "capf/store/sqlite/sqlite_connection.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "capf/store/sql_nesting.h"

namespace capf {
namespace {

// The transaction control statements, as keys of the statement cache.
const std::string kBegin = "BEGIN";
const std::string kBeginImmediate = "BEGIN IMMEDIATE";
const std::string kCommit = "COMMIT";
const std::string kRollback = "ROLLBACK";
const std::string kSyncFull = "PRAGMA synchronous=FULL";
const std::string kSyncNormal = "PRAGMA synchronous=NORMAL";

bool is_busy(int rc) {
  int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

}  // namespace

// ---- SqliteConnection ----

Result<std::unique_ptr<SqliteConnection>> SqliteConnection::open(const std::string& path,
                                                                 const SqliteOptions& options) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  // The connection owns the handle from here, even when opening failed (SQLite may still have
  // allocated it).
  std::unique_ptr<SqliteConnection> connection(new SqliteConnection(db, options));
  if (rc != SQLITE_OK) {
    return make_error(ErrorCode::kDatabase, "{}: check the path and its permissions",
                      db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  }
  CAPF_TRY(connection->configure());
  return connection;
}

SqliteConnection::~SqliteConnection() {
  for (auto& [sql, stmt] : statements_) {
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db_);
  if (wal_fd_ >= 0)
    ::close(wal_fd_);
}

bool SqliteConnection::can_defer_sync() const {
  return options_.synchronous_full && !wal_path_.empty();
}

Status SqliteConnection::sync_log() {
  // The WAL file stays the same file while this connection is open (SQLite removes it only when
  // the last connection closes; a checkpoint restarts it in place), and fdatasync on any
  // descriptor of it writes out what every descriptor wrote before.
  if (wal_fd_ < 0) {
    wal_fd_ = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (wal_fd_ < 0) {
      return make_error(ErrorCode::kDatabase, "opening the registry's write-ahead log {}: {}",
                        wal_path_, std::strerror(errno));
    }
  }
  if (::fdatasync(wal_fd_) != 0) {
    return make_error(ErrorCode::kDatabase,
                      "writing the registry's write-ahead log {} to disk: {} (check the disk)",
                      wal_path_, std::strerror(errno));
  }
  return ok();
}

Status SqliteConnection::configure() {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, options_.busy_timeout_ms);
  // Reading the header is the first access to the file: a file that is not a database fails here.
  if (int rc = sqlite3_exec(db_, "SELECT COUNT(*) FROM sqlite_master", nullptr, nullptr, nullptr);
      rc != SQLITE_OK) {
    if ((rc & 0xff) == SQLITE_NOTADB) {
      return make_error(ErrorCode::kDatabase,
                        "{}: give the path of an opencapf registry, or of a new file to create one",
                        sqlite3_errmsg(db_));
    }
    return error(rc, "reading the database header");
  }

  CAPF_ASSIGN_OR_RETURN(std::string mode, pragma("journal_mode=WAL"));
  // An in-memory database (":memory:") stays "memory"; a file must be WAL.
  if (mode != "wal" && mode != "memory") {
    return make_error(ErrorCode::kDatabase,
                      "cannot switch to write-ahead logging (journal mode stays '{}'): keep the "
                      "registry on a local file system",
                      mode);
  }
  CAPF_TRY(control(options_.synchronous_full ? kSyncFull : kSyncNormal, "opening the registry",
                   "setting synchronous"));
  CAPF_TRY(exec("PRAGMA foreign_keys=ON", "enabling foreign keys"));
  const char* file = sqlite3_db_filename(db_, "main");
  if (mode == "wal" && file != nullptr && *file != '\0')
    wal_path_ = sqlite3_filename_wal(file);
  return ok();
}

Result<std::string> SqliteConnection::pragma(const std::string& name) {
  SqliteQuery q(*this, prepare("PRAGMA " + name));
  CAPF_ASSIGN_OR_RETURN(bool row, q.step("running PRAGMA " + name));
  if (!row) {
    return make_error(ErrorCode::kDatabase, "PRAGMA {} returned nothing", name);
  }
  return q.text(0);
}

Result<SqliteSettings> SqliteConnection::effective_settings() {
  SqliteSettings settings;
  CAPF_ASSIGN_OR_RETURN(settings.journal_mode, pragma("journal_mode"));
  CAPF_ASSIGN_OR_RETURN(std::string synchronous, pragma("synchronous"));
  CAPF_ASSIGN_OR_RETURN(std::string foreign_keys, pragma("foreign_keys"));
  CAPF_ASSIGN_OR_RETURN(std::string busy_timeout, pragma("busy_timeout"));
  settings.synchronous = std::atoi(synchronous.c_str());
  settings.foreign_keys = foreign_keys == "1";
  settings.busy_timeout_ms = std::atoi(busy_timeout.c_str());
  return settings;
}

Result<sqlite3_stmt*> SqliteConnection::prepare(const std::string& sql) {
  if (auto it = statements_.find(sql); it != statements_.end()) {
    return it->second;
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size() + 1),
                              SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return error(rc, fmt::format("preparing '{}'", sql));
  }
  statements_.emplace(sql, stmt);
  return stmt;
}

std::unique_ptr<SqlStatement> SqliteConnection::statement(std::string_view sql) {
  return std::make_unique<SqliteQuery>(*this, prepare(std::string(sql)));
}

Status SqliteConnection::exec(const std::string& sql, std::string_view doing) {
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    return error(rc, doing);
  }
  return ok();
}

Status SqliteConnection::control(const std::string& sql, std::string_view doing,
                                 std::string_view step) {
  Result<sqlite3_stmt*> stmt = prepare(sql);
  int rc = SQLITE_OK;
  if (stmt) {
    rc = sqlite3_step(*stmt);
    sqlite3_reset(*stmt);
  }
  if (stmt && (rc == SQLITE_DONE || rc == SQLITE_ROW))
    return ok();
  // Only a failure pays for its message.
  const std::string what = fmt::format("{}: {}", doing, step);
  if (!stmt)
    return make_error(stmt.error().code, "{}: {}", what, stmt.error().message);
  return error(rc, what);
}

Status SqliteConnection::in_transaction(std::string_view doing, const std::function<Status()>& fn,
                                        bool read_only) {
  const bool outermost = depth_ == 0;
  if (!outermost && sqlite3_get_autocommit(db_) != 0) {
    // SQLite rolled the enclosing transaction back after an I/O, full-disk or lock error.
    return make_error(ErrorCode::kDatabase,
                      "{}: the enclosing transaction was rolled back after an earlier database "
                      "error: retry the whole operation",
                      doing);
  }
  if (outermost && !read_only && options_.synchronous_full) {
    // An unsynced commit (SqlConnection::set_synced_commits) skips the WAL's fsync; the next
    // synced commit's fsync covers it too.
    const int level = synced_commits() ? 2 : 1;
    if (level != synchronous_level_) {
      CAPF_TRY(
          control(level == 2 ? kSyncFull : kSyncNormal, doing, "choosing the commit's durability"));
      synchronous_level_ = level;
    }
  }
  // Transaction control goes through the statement cache like every other statement: parsing
  // BEGIN and COMMIT again for each of an install's ten transactions cost 2 % of the server's CPU.
  const std::string savepoint = outermost ? std::string() : fmt::format("capf_sp{}", depth_);
  CAPF_TRY(control(outermost ? (read_only ? kBegin : kBeginImmediate) : "SAVEPOINT " + savepoint,
                   doing, "starting a transaction"));
  auto undo = [&] {
    if (sqlite3_get_autocommit(db_) != 0) {
      return;  // SQLite already rolled everything back
    }
    if (outermost) {
      (void)control(kRollback, doing, "rolling back");
    } else {
      (void)control("ROLLBACK TO " + savepoint, doing, "rolling back to a savepoint");
      (void)control("RELEASE " + savepoint, doing, "releasing a savepoint");
    }
  };

  CAPF_TRY(run_nested(depth_, fn, undo));
  if (sqlite3_get_autocommit(db_) != 0) {
    return make_error(ErrorCode::kDatabase,
                      "{}: the transaction was rolled back after a database error: retry", doing);
  }
  Status committed = control(outermost ? kCommit : "RELEASE " + savepoint, doing, "committing");
  if (!committed) {
    undo();
  }
  return committed;
}

std::int64_t SqliteConnection::changes() const {
  return sqlite3_changes64(db_);
}

Error SqliteConnection::error(int rc, std::string_view doing) const {
  std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  const int extended = rc & 0xffff;
  if (extended == SQLITE_CONSTRAINT_UNIQUE || extended == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return make_error(ErrorCode::kAlreadyExists, "{}: {}", doing, detail);
  }
  if (is_busy(rc)) {
    return make_error(ErrorCode::kUnavailable,
                      "registry is locked by another process: {}: gave up after waiting {} ms "
                      "({}): retry, or find the process that keeps it locked",
                      doing, options_.busy_timeout_ms, detail);
  }
  return make_error(ErrorCode::kDatabase, "{}: {}", doing, detail);
}

// ---- SqliteQuery ----

SqliteQuery::SqliteQuery(SqliteConnection& connection, Result<sqlite3_stmt*> prepared)
    : connection_(connection) {
  if (prepared) {
    stmt_ = *prepared;
  } else {
    prepare_error_ = prepared.error();
  }
}

SqliteQuery::~SqliteQuery() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

void SqliteQuery::note(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
    bind_rc_ = rc;
  }
}

SqliteQuery& SqliteQuery::bind_text(std::string_view text) {
  if (stmt_ != nullptr) {
    note(
        sqlite3_bind_text64(stmt_, next_, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  ++next_;
  return *this;
}

SqliteQuery& SqliteQuery::bind_integer(std::int64_t value) {
  if (stmt_ != nullptr) {
    note(sqlite3_bind_int64(stmt_, next_, value));
  }
  ++next_;
  return *this;
}

SqliteQuery& SqliteQuery::bind_null() {
  if (stmt_ != nullptr) {
    note(sqlite3_bind_null(stmt_, next_));
  }
  ++next_;
  return *this;
}

Result<bool> SqliteQuery::step(std::string_view doing) {
  if (prepare_error_) {
    return *prepare_error_;
  }
  if (bind_rc_ != SQLITE_OK) {
    return connection_.error(bind_rc_, doing);
  }
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return connection_.error(rc, doing);
}

Result<std::int64_t> SqliteQuery::run(std::string_view doing) {
  for (;;) {
    CAPF_ASSIGN_OR_RETURN(bool row, step(doing));
    if (!row) {
      return connection_.changes();
    }
  }
}

bool SqliteQuery::is_null(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

std::int64_t SqliteQuery::integer(int col) const {
  return sqlite3_column_int64(stmt_, col);
}

std::string SqliteQuery::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (p == nullptr) {
    return {};
  }
  return std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)));
}

}  // namespace capf
