// SqliteRegistry's RequestQueue: the certificate_requests table (schema version 2).
#include <cstdint>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "capf/store/sqlite/sqlite_registry.h"
#include "capf/store/sqlite/sqlite_where.h"

namespace capf {
namespace {

// Order matters: read_request() reads the columns by these positions, and the writes bind
// mode .. session_id (columns 2..13) with bind_request_fields().
constexpr std::string_view kRequestColumns =
    "id, device_name, mode, ca, key_spec, csr_pem, spki_fingerprint, ticket, state, "
    "certificate_pem, certificate_serial, last_error, attempts, session_id, created, updated";

// Requests that still wait for the CA or for the phone: the ones a newer request supersedes.
constexpr std::string_view kOpenStates = "state IN ('waiting', 'ready')";

void bind_request_fields(SqliteQuery& q, const CertificateRequestRecord& r) {
  q.bind(r.mode)
      .bind(r.ca)
      .bind(r.key_spec)
      .bind(r.csr_pem)
      .bind(r.spki_fingerprint)
      .bind(r.ticket)
      .bind(to_string(r.state))
      .bind(r.certificate_pem)
      .bind(r.certificate_serial)
      .bind(r.last_error)
      .bind(r.attempts)
      .bind(r.session);
}

Result<CertificateRequestRecord> read_request(const SqliteQuery& q) {
  CertificateRequestRecord r;
  r.id = q.text(0);
  r.device_name = q.text(1);
  r.mode = q.text(2);
  r.ca = q.text(3);
  r.key_spec = q.text(4);
  r.csr_pem = q.text(5);
  r.spki_fingerprint = q.text(6);
  r.ticket = q.text(7);
  auto state = parse_request_state(q.text(8));
  if (!state) {
    return make_error(ErrorCode::kDatabase, "certificate request {} has a bad state column: {}",
                      r.id, state.error().message);
  }
  r.state = *state;
  r.certificate_pem = q.text(9);
  r.certificate_serial = q.text(10);
  r.last_error = q.text(11);
  r.attempts = static_cast<int>(q.integer(12));
  r.session = q.text(13);
  r.created = q.time(14);
  r.updated = q.time(15);
  return r;
}

Where request_where(const RequestFilter& f) {
  Where w;
  if (f.device_name) {
    w.add("device_name = ?", *f.device_name);
  }
  if (f.mode) {
    w.add("mode = ?", *f.mode);
  }
  if (f.state) {
    w.add("state = ?", std::string(to_string(*f.state)));
  }
  if (f.spki_fingerprint) {
    w.add("spki_fingerprint = ?", *f.spki_fingerprint);
  }
  return w;
}

}  // namespace

Status SqliteRegistry::insert_request(const CertificateRequestRecord& request) {
  if (request.id.empty() || request.device_name.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "cannot record a certificate request without an id and a device name (id "
                      "'{}', device '{}'): set both",
                      request.id, request.device_name);
  }
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
                                         kOpenStates)));
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
    CAPF_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        connection_->prepare(
            "UPDATE certificate_requests SET mode = ?, ca = ?, key_spec = ?, csr_pem = ?, "
            "spki_fingerprint = ?, ticket = ?, state = ?, certificate_pem = ?, "
            "certificate_serial = ?, last_error = ?, attempts = ?, session_id = ?, "
            "device_name = ?, updated = ? WHERE id = ?"));
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
                                       kRequestColumns, kOpenStates)));
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
