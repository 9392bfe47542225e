// SqliteRegistry's RequestQueue: the certificate_requests table (schema version 2).
#include <cstdint>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "capf/store/sql_rows.h"
#include "capf/store/sql_where.h"
#include "capf/store/sqlite/sqlite_registry.h"

namespace capf {
Status SqliteRegistry::insert_request(const CertificateRequestRecord& request) {
  CAPF_TRY(check_request_to_insert(request));
  const std::string doing =
      fmt::format("recording certificate request {} of {}", request.id, request.device_name);
  return write(doing, [&]() -> Status {
    const TimePoint now = clock_.now();
    {
      CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                            connection_->prepare(fmt::format(
                                "INSERT INTO certificate_requests ({}) VALUES (?, ?, ?, ?, ?, ?, "
                                "?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                kRequestColumns)));
      SqliteQuery q(*connection_, stmt);
      q.bind(request.id).bind(request.device_name);
      bind_request_fields(q, request);
      q.bind(now).bind(now);
      if (auto s = q.run(doing); !s) {
        if (q.violated_constraint()) {
          return make_error(ErrorCode::kAlreadyExists,
                            "certificate request {} already exists: choose a new id", request.id);
        }
        return s;
      }
    }
    CAPF_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        connection_->prepare(fmt::format("UPDATE certificate_requests SET state = ?, updated = ? "
                                         "WHERE device_name = ? AND {} AND id <> ?",
                                         kOpenRequestStates)));
    SqliteQuery q(*connection_, stmt);
    return q.bind(to_string(RequestState::kSuperseded))
        .bind(now)
        .bind(request.device_name)
        .bind(request.id)
        .run(doing);
  });
}

Status SqliteRegistry::update_request(const CertificateRequestRecord& request) {
  const std::string doing = fmt::format("updating certificate request {}", request.id);
  return write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                          connection_->prepare(std::string(kUpdateRequestSql)));
    SqliteQuery q(*connection_, stmt);
    bind_request_fields(q, request);
    CAPF_TRY(q.bind(request.device_name).bind(clock_.now()).bind(request.id).run(doing));
    if (connection_->changes() == 0) {
      return make_error(ErrorCode::kNotFound,
                        "no certificate request {}: it was never recorded (insert it first)",
                        request.id);
    }
    return ok();
  });
}

Result<std::optional<CertificateRequestRecord>> SqliteRegistry::find_request(
    const std::string& id) {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                        connection_->prepare(fmt::format(
                            "SELECT {} FROM certificate_requests WHERE id = ?", kRequestColumns)));
  SqliteQuery q(*connection_, stmt);
  q.bind(id);
  CAPF_ASSIGN_OR_RETURN(bool row, q.step(fmt::format("reading certificate request {}", id)));
  if (!row) {
    return std::optional<CertificateRequestRecord>();
  }
  CAPF_ASSIGN_OR_RETURN(CertificateRequestRecord r, read_request(q));
  return std::optional<CertificateRequestRecord>(std::move(r));
}

Result<std::optional<CertificateRequestRecord>> SqliteRegistry::open_request(
    const std::string& device_name) {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare(fmt::format("SELECT {} FROM certificate_requests WHERE device_name = ? "
                                       "AND {} ORDER BY created DESC, seq DESC LIMIT 1",
                                       kRequestColumns, kOpenRequestStates)));
  SqliteQuery q(*connection_, stmt);
  q.bind(device_name);
  CAPF_ASSIGN_OR_RETURN(
      bool row, q.step(fmt::format("reading the open certificate request of {}", device_name)));
  if (!row) {
    return std::optional<CertificateRequestRecord>();
  }
  CAPF_ASSIGN_OR_RETURN(CertificateRequestRecord r, read_request(q));
  return std::optional<CertificateRequestRecord>(std::move(r));
}

Result<std::vector<CertificateRequestRecord>> SqliteRegistry::list_requests(
    const RequestFilter& filter) {
  std::lock_guard lock(mu_);
  Where where = request_where(filter);
  CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                        connection_->prepare(fmt::format(
                            "SELECT {} FROM certificate_requests{} ORDER BY created, seq LIMIT ?",
                            kRequestColumns, where.sql)));
  SqliteQuery q(*connection_, stmt);
  where.bind_to(q);
  q.bind(to_sql_limit(filter.limit));
  std::vector<CertificateRequestRecord> out;
  while (true) {
    CAPF_ASSIGN_OR_RETURN(bool row, q.step("listing certificate requests"));
    if (!row) {
      break;
    }
    CAPF_ASSIGN_OR_RETURN(CertificateRequestRecord r, read_request(q));
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::int64_t> SqliteRegistry::count_requests(const RequestFilter& filter) {
  std::lock_guard lock(mu_);
  Where where = request_where(filter);
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare(fmt::format("SELECT COUNT(*) FROM certificate_requests{}", where.sql)));
  SqliteQuery q(*connection_, stmt);
  where.bind_to(q);
  CAPF_ASSIGN_OR_RETURN(bool row, q.step("counting certificate requests"));
  return row ? q.integer(0) : std::int64_t{0};
}

}  // namespace capf
