// SqlRegistry's RequestQueue: the certificate_requests table (schema version 2).
#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "capf/store/sql/sql_registry.h"
#include "capf/store/sql_rows.h"
#include "capf/store/sql_where.h"

namespace capf {

Status SqlRegistry::insert_request(const CertificateRequestRecord& request) {
  CAPF_TRY(check_request_to_insert(request));
  const std::string doing =
      fmt::format("recording certificate request {} of {}", request.id, request.device_name);
  return write(doing, [&]() -> Status {
    // Two inserts for one device must not each miss the other's new row and leave both open.
    CAPF_TRY(lock_device_requests(request.device_name, doing));
    const TimePoint now = clock_.now();
    auto insert = query(fmt::format(
        "INSERT INTO certificate_requests ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?)",
        kRequestColumns));
    insert->bind(request.id).bind(request.device_name);
    bind_request_fields(*insert, request);
    insert->bind(now).bind(now);
    if (auto inserted = insert->run(doing); !inserted) {
      if (inserted.error().code == ErrorCode::kAlreadyExists) {
        return make_error(ErrorCode::kAlreadyExists,
                          "certificate request {} already exists: choose a new id", request.id);
      }
      return inserted.error();
    }
    CAPF_TRY(query(fmt::format("UPDATE certificate_requests SET state = ?, updated = ? "
                               "WHERE device_name = ? AND {} AND id <> ?",
                               kOpenRequestStates))
                 ->bind(to_string(RequestState::kSuperseded))
                 .bind(now)
                 .bind(request.device_name)
                 .bind(request.id)
                 .run(doing));
    return ok();
  });
}

Status SqlRegistry::update_request(const CertificateRequestRecord& request) {
  const std::string doing = fmt::format("updating certificate request {}", request.id);
  return write(doing, [&]() -> Status {
    auto q = query(kUpdateRequestSql);
    bind_request_fields(*q, request);
    CAPF_ASSIGN_OR_RETURN(
        std::int64_t changed,
        q->bind(request.device_name).bind(clock_.now()).bind(request.id).run(doing));
    if (changed == 0) {
      return make_error(ErrorCode::kNotFound,
                        "no certificate request {}: it was never recorded (insert it first)",
                        request.id);
    }
    return ok();
  });
}

Result<std::optional<CertificateRequestRecord>> SqlRegistry::find_request(const std::string& id) {
  return find_row<CertificateRequestRecord>("certificate_requests", kRequestColumns, "id", id,
                                            fmt::format("reading certificate request {}", id),
                                            read_request<SqlStatement>);
}

Result<std::optional<CertificateRequestRecord>> SqlRegistry::open_request(
    const std::string& device_name) {
  std::lock_guard lock(mu_);
  return read_first<CertificateRequestRecord>(
      query(fmt::format("SELECT {} FROM certificate_requests WHERE device_name = ? AND {} "
                        "ORDER BY created DESC, seq DESC LIMIT 1",
                        kRequestColumns, kOpenRequestStates))
          ->bind(device_name),
      fmt::format("reading the open certificate request of {}", device_name),
      read_request<SqlStatement>);
}

Result<std::vector<CertificateRequestRecord>> SqlRegistry::list_requests(
    const RequestFilter& filter) {
  return list_page<CertificateRequestRecord>(
      fmt::format("SELECT {} FROM certificate_requests", kRequestColumns), request_where(filter),
      "created, seq", filter.limit, "listing certificate requests", read_request<SqlStatement>);
}

Result<std::int64_t> SqlRegistry::count_requests(const RequestFilter& filter) {
  return count_rows("certificate_requests", request_where(filter), "counting certificate requests");
}

}  // namespace capf
