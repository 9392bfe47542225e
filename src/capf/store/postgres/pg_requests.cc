// PgRegistry's RequestQueue: the certificate_requests table (schema version 2).
#include <cstdint>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "capf/store/postgres/pg_registry.h"
#include "capf/store/sql_rows.h"
#include "capf/store/sql_where.h"

namespace capf {

Status PgRegistry::insert_request(const CertificateRequestRecord& request) {
  CAPF_TRY(check_request_to_insert(request));
  const std::string doing =
      fmt::format("recording certificate request {} of {}", request.id, request.device_name);
  return write(doing, [&]() -> Status {
    // One device's requests are recorded one at a time across nodes: two inserts racing under READ
    // COMMITTED would each miss the other's new row and leave both open. The lock (key space 2,
    // the device's name hashed) ends with the transaction.
    CAPF_TRY(
        query("SELECT pg_advisory_xact_lock(2, hashtext(?))").bind(request.device_name).run(doing));
    const TimePoint now = clock_.now();
    auto insert = query(fmt::format(
        "INSERT INTO certificate_requests ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?)",
        kRequestColumns));
    insert.bind(request.id).bind(request.device_name);
    bind_request_fields(insert, request);
    insert.bind(now).bind(now);
    if (auto inserted = insert.run(doing); !inserted) {
      if (inserted.error().code == ErrorCode::kAlreadyExists) {
        return make_error(ErrorCode::kAlreadyExists,
                          "certificate request {} already exists: choose a new id", request.id);
      }
      return inserted.error();
    }
    return query(fmt::format("UPDATE certificate_requests SET state = ?, updated = ? "
                             "WHERE device_name = ? AND {} AND id <> ?",
                             kOpenRequestStates))
        .bind(to_string(RequestState::kSuperseded))
        .bind(now)
        .bind(request.device_name)
        .bind(request.id)
        .run_status(doing);
  });
}

Status PgRegistry::update_request(const CertificateRequestRecord& request) {
  const std::string doing = fmt::format("updating certificate request {}", request.id);
  return write(doing, [&]() -> Status {
    auto q = query(kUpdateRequestSql);
    bind_request_fields(q, request);
    CAPF_ASSIGN_OR_RETURN(
        PgRows rows, q.bind(request.device_name).bind(clock_.now()).bind(request.id).run(doing));
    if (rows.changed() == 0) {
      return make_error(ErrorCode::kNotFound,
                        "no certificate request {}: it was never recorded (insert it first)",
                        request.id);
    }
    return ok();
  });
}

Result<std::optional<CertificateRequestRecord>> PgRegistry::find_request(const std::string& id) {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(
      PgRows rows,
      query(fmt::format("SELECT {} FROM certificate_requests WHERE id = ?", kRequestColumns))
          .bind(id)
          .run(fmt::format("reading certificate request {}", id)));
  return read_first<CertificateRequestRecord>(rows, read_request<PgRows::Row>);
}

Result<std::optional<CertificateRequestRecord>> PgRegistry::open_request(
    const std::string& device_name) {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(
      PgRows rows,
      query(fmt::format("SELECT {} FROM certificate_requests WHERE device_name = ? "
                        "AND {} ORDER BY created DESC, seq DESC LIMIT 1",
                        kRequestColumns, kOpenRequestStates))
          .bind(device_name)
          .run(fmt::format("reading the open certificate request of {}", device_name)));
  return read_first<CertificateRequestRecord>(rows, read_request<PgRows::Row>);
}

Result<std::vector<CertificateRequestRecord>> PgRegistry::list_requests(
    const RequestFilter& filter) {
  std::lock_guard lock(mu_);
  Where where = request_where(filter);
  auto q = query(fmt::format("SELECT {} FROM certificate_requests{} ORDER BY created, seq LIMIT ?",
                             kRequestColumns, where.sql));
  where.bind_to(q);
  q.bind(to_sql_limit(filter.limit));
  CAPF_ASSIGN_OR_RETURN(PgRows rows, q.run("listing certificate requests"));
  return read_rows<CertificateRequestRecord>(rows, read_request<PgRows::Row>);
}

Result<std::int64_t> PgRegistry::count_requests(const RequestFilter& filter) {
  std::lock_guard lock(mu_);
  Where where = request_where(filter);
  auto q = query(fmt::format("SELECT COUNT(*) FROM certificate_requests{}", where.sql));
  where.bind_to(q);
  CAPF_ASSIGN_OR_RETURN(PgRows rows, q.run("counting certificate requests"));
  return rows.row(0).integer(0);
}

}  // namespace capf
