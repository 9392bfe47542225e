#include "capf/store/postgres/pg_connection.h"

#include <libpq-fe.h>

#include <cstdlib>
#include <utility>

#include <fmt/format.h>

#include "capf/common/file.h"
#include "capf/common/strings.h"
#include "capf/store/sql_nesting.h"

namespace capf {
namespace {

// libpq's messages span lines ("...failed: Connection refused\n\tIs the server running...");
// ours are one line.
std::string one_line(const char* message) {
  std::string out;
  for (const char* p = message ? message : ""; *p != '\0'; ++p) {
    if (*p == '\n') {
      out += "; ";
    } else if (*p != '\t') {
      out += *p;
    }
  }
  return std::string(trim(out, " ;"));
}

// '?' placeholders (as every SQL text of the registry is written) become $1, $2, ...
std::string number_placeholders(std::string_view sql) {
  std::string out;
  int n = 0;
  bool quoted = false;
  for (char c : sql) {
    if (c == '\'') {
      quoted = !quoted;
    }
    if (c == '?' && !quoted) {
      out += fmt::format("${}", ++n);
    } else {
      out += c;
    }
  }
  return out;
}

bool connection_lost(std::string_view sqlstate) {
  return sqlstate.starts_with("08") || sqlstate == "57P01" || sqlstate == "57P02" ||
         sqlstate == "57P03";
}

// The error of a failed statement: unique violations are kAlreadyExists, a lost server or a
// transaction the server chose to abort (serialisation, deadlock) kUnavailable.
Error statement_error(pg_conn* conn, const PGresult* result, std::string_view doing) {
  const char* state = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const std::string_view sqlstate = state ? state : "";
  const std::string reason = one_line(result ? PQresultErrorMessage(result) : PQerrorMessage(conn));
  if (sqlstate == "23505") {
    return make_error(ErrorCode::kAlreadyExists, "{}: {}", doing, reason);
  }
  if (PQstatus(conn) != CONNECTION_OK || connection_lost(sqlstate)) {
    return make_error(ErrorCode::kUnavailable,
                      "{}: the connection to PostgreSQL was lost ({}): the next call reconnects",
                      doing, reason);
  }
  if (sqlstate == "40001" || sqlstate == "40P01") {
    return make_error(ErrorCode::kUnavailable, "{}: {}: retry", doing, reason);
  }
  return make_error(ErrorCode::kDatabase, "{}: {}", doing, reason);
}

}  // namespace

Status check_store_url(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options == nullptr) {
    std::string reason = one_line(error ? error : "out of memory");
    PQfreemem(error);
    return make_error(ErrorCode::kInvalidArgument,
                      "store URL '{}' is not a PostgreSQL connection string ({}): write "
                      "postgresql://USER@HOST:PORT/DATABASE",
                      url, reason);
  }
  bool has_password = false;
  for (const PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (std::string_view(o->keyword) == "password" && o->val != nullptr && o->val[0] != '\0') {
      has_password = true;
    }
  }
  PQconninfoFree(options);
  if (has_password) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the store URL carries a password, which would show in process lists and "
                      "logs: remove it and put it in a passfile (?passfile=FILE in the URL, "
                      "PGPASSFILE or ~/.pgpass) or in [store] password_file");
  }
  return ok();
}

PgRows::PgRows(pg_result* result) : result_(result) {}
PgRows::~PgRows() {
  PQclear(result_);
}
PgRows::PgRows(PgRows&& other) noexcept : result_(std::exchange(other.result_, nullptr)) {}

int PgRows::size() const {
  return PQntuples(result_);
}

std::int64_t PgRows::changed() const {
  const char* n = PQcmdTuples(result_);
  return (n && *n) ? std::strtoll(n, nullptr, 10) : 0;
}

bool PgRows::Row::is_null(int col) const {
  return PQgetisnull(rows_.result_, row_, col) != 0;
}
std::int64_t PgRows::Row::integer(int col) const {
  return std::strtoll(PQgetvalue(rows_.result_, row_, col), nullptr, 10);
}
std::string PgRows::Row::text(int col) const {
  return std::string(PQgetvalue(rows_.result_, row_, col),
                     static_cast<std::size_t>(PQgetlength(rows_.result_, row_, col)));
}
std::optional<std::string> PgRows::Row::opt_text(int col) const {
  return is_null(col) ? std::nullopt : std::optional<std::string>(text(col));
}

PgStatement& PgStatement::bind_text(std::string_view text) {
  params_.emplace_back(std::string(text));
  return *this;
}
PgStatement& PgStatement::bind_integer(std::int64_t value) {
  params_.emplace_back(std::to_string(value));
  return *this;
}
PgStatement& PgStatement::bind_null() {
  params_.emplace_back(std::nullopt);
  return *this;
}

Result<bool> PgStatement::step(std::string_view doing) {
  if (!rows_) {
    CAPF_ASSIGN_OR_RETURN(PgRows rows, connection_.execute(sql_, params_, doing));
    rows_.emplace(std::move(rows));
  }
  if (row_ < rows_->size()) {
    ++row_;
  }
  return row_ < rows_->size();
}

Result<std::int64_t> PgStatement::run(std::string_view doing) {
  CAPF_ASSIGN_OR_RETURN(PgRows rows, connection_.execute(sql_, params_, doing));
  rows_.emplace(std::move(rows));
  row_ = rows_->size();
  return rows_->changed();
}

std::unique_ptr<SqlStatement> PgConnection::statement(std::string_view sql) {
  return std::make_unique<PgStatement>(*this, sql);
}

Result<std::unique_ptr<PgConnection>> PgConnection::open(const std::string& url,
                                                         const PgOptions& options) {
  CAPF_TRY(check_store_url(url));
  std::vector<const char*> keys;
  std::vector<const char*> values;
  // A server that never answers must not hang a node forever; a timeout in the URL or in
  // PGCONNECT_TIMEOUT wins (the URL is expanded after this entry).
  if (std::getenv("PGCONNECT_TIMEOUT") == nullptr) {
    keys.push_back("connect_timeout");
    values.push_back("10");
  }
  keys.push_back("dbname");
  values.push_back(url.c_str());
  std::string password;
  if (!options.password_file.empty()) {
    auto text = read_file(options.password_file);
    if (!text) {
      return text.error().with_context("[store] password_file");
    }
    password = std::string(trim(text->substr(0, text->find('\n'))));
    keys.push_back("password");
    values.push_back(password.c_str());
  }
  keys.push_back(nullptr);
  values.push_back(nullptr);
  pg_conn* conn = PQconnectdbParams(keys.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr || PQstatus(conn) != CONNECTION_OK) {
    std::string reason = one_line(conn ? PQerrorMessage(conn) : "out of memory");
    PQfinish(conn);
    return make_error(ErrorCode::kUnavailable,
                      "cannot connect to PostgreSQL at '{}': {}: check the URL's host, port, "
                      "user and database, and that the server runs",
                      url, reason);
  }
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);  // no NOTICE on stderr
  return std::unique_ptr<PgConnection>(new PgConnection(conn, url, options));
}

PgConnection::~PgConnection() {
  PQfinish(conn_);
}

std::string PgConnection::describe() const {
  return fmt::format("database {} on {}:{} as {}", PQdb(conn_), PQhost(conn_), PQport(conn_),
                     PQuser(conn_));
}

Status PgConnection::ensure_connected(std::string_view doing) {
  if (PQstatus(conn_) == CONNECTION_OK) {
    return ok();
  }
  if (depth_ > 0) {
    return make_error(ErrorCode::kUnavailable,
                      "{}: the connection to PostgreSQL was lost in the middle of a transaction: "
                      "retry the whole operation",
                      doing);
  }
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return make_error(ErrorCode::kUnavailable, "{}: cannot reconnect to PostgreSQL: {}", doing,
                      one_line(PQerrorMessage(conn_)));
  }
  return ok();
}

Result<PgRows> PgConnection::execute(const std::string& sql,
                                     const std::vector<std::optional<std::string>>& params,
                                     std::string_view doing) {
  CAPF_TRY(ensure_connected(doing));
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) {
    values.push_back(p ? p->c_str() : nullptr);
  }
  const std::string numbered = number_placeholders(sql);
  PgRows rows(PQexecParams(conn_, numbered.c_str(), static_cast<int>(values.size()), nullptr,
                           values.data(), nullptr, nullptr, /*resultFormat=*/0));
  const PGresult* result = rows.result_;
  const auto status = result ? PQresultStatus(result) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return statement_error(conn_, result, doing);
  }
  return rows;
}

Status PgConnection::exec(const std::string& sql, std::string_view doing) {
  CAPF_TRY(ensure_connected(doing));
  PgRows rows(PQexec(conn_, sql.c_str()));
  const auto status = rows.result_ ? PQresultStatus(rows.result_) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    return statement_error(conn_, rows.result_, doing);
  }
  return ok();
}

Status PgConnection::in_transaction(std::string_view doing, const std::function<Status()>& fn,
                                    bool read_only) {
  const bool outermost = depth_ == 0;
  if (!outermost && PQtransactionStatus(conn_) == PQTRANS_INERROR) {
    return make_error(ErrorCode::kDatabase,
                      "{}: the enclosing transaction failed after an earlier database error: "
                      "retry the whole operation",
                      doing);
  }
  const std::string savepoint = fmt::format("capf_sp{}", depth_);
  const std::string begin = read_only ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN";
  CAPF_TRY(exec(outermost ? begin : "SAVEPOINT " + savepoint,
                fmt::format("{}: starting a transaction", doing)));
  if (outermost && !read_only && !synced_commits()) {
    // This transaction's COMMIT does not wait for the WAL flush
    // (SqlConnection::set_synced_commits).
    Status unsynced =
        exec("SET LOCAL synchronous_commit TO off", fmt::format("{}: unsynced commit", doing));
    if (!unsynced) {
      (void)exec("ROLLBACK", "rolling back");
      return unsynced;
    }
  }
  auto undo = [&] {
    if (outermost) {
      (void)exec("ROLLBACK", "rolling back");
    } else {
      (void)exec("ROLLBACK TO SAVEPOINT " + savepoint + "; RELEASE SAVEPOINT " + savepoint,
                 "rolling back to a savepoint");
    }
  };
  CAPF_TRY(run_nested(depth_, fn, undo));
  if (PQtransactionStatus(conn_) == PQTRANS_INERROR) {
    // COMMIT of a failed transaction would roll it back and still report success.
    undo();
    return make_error(ErrorCode::kDatabase,
                      "{}: a statement failed inside the transaction, which was rolled back: "
                      "retry",
                      doing);
  }
  Status committed = exec(outermost ? std::string("COMMIT") : "RELEASE SAVEPOINT " + savepoint,
                          fmt::format("{}: committing", doing));
  if (!committed) {
    undo();
  }
  return committed;
}

}  // namespace capf
