#include "capf/store/sqlite/sqlite_registry.h"

#include <cstdint>
#include <utility>

#include <fmt/format.h>

#include "capf/store/migrations.h"
#include "capf/store/sqlite/sqlite_where.h"
#include "capf/store/stored_values.h"

namespace capf {
namespace {

// Order matters: read_device() reads the columns by these positions.
constexpr std::string_view kDeviceColumns =
    "name, operation, auth_mode, auth_string, key_order, rsa_bits, ec_bits, deadline, "
    "status_kind, status_operation, status_reason, status_time, status_detail, auth_failures, "
    "lsc_serial, lsc_issuer, lsc_not_after, description, created, updated, version";

// Binds operation .. description (columns 1..17 of kDeviceColumns), the part a write sets.
void bind_device_fields(SqliteQuery& q, const Device& d) {
  q.bind(short_name(d.operation))
      .bind(short_name(d.auth_mode))
      .bind(d.auth_string)
      .bind(short_name(d.key_order))
      .bind(d.rsa_bits)
      .bind(d.ec_bits)
      .bind(d.deadline)
      .bind(stored_name(d.status.kind))
      .bind(short_name(d.status.operation))
      .bind(stored_name(d.status.reason))
      .bind(d.status_time)
      .bind(d.status_detail)
      .bind(d.auth_failures);
  if (d.lsc) {
    q.bind(d.lsc->serial_hex).bind(d.lsc->issuer).bind(d.lsc->not_after);
  } else {
    q.bind_null().bind_null().bind_null();
  }
  q.bind(d.description);
}

Error bad_column(std::string_view column, const std::string& name, const Error& e) {
  return make_error(ErrorCode::kDatabase, "device {} has a bad {} column: {}", name, column,
                    e.message);
}

Result<Device> read_device(const SqliteQuery& q) {
  std::string raw_name = q.text(0);
  auto name = DeviceName::parse_stored(raw_name);
  if (!name) {
    return bad_column("name", raw_name, name.error());
  }
  auto operation = parse_operation(q.text(1));
  if (!operation) {
    return bad_column("operation", raw_name, operation.error());
  }
  auto auth_mode = parse_auth_mode(q.text(2));
  if (!auth_mode) {
    return bad_column("auth_mode", raw_name, auth_mode.error());
  }
  auto key_order = parse_key_order(q.text(4));
  if (!key_order) {
    return bad_column("key_order", raw_name, key_order.error());
  }
  auto status = parse_stored_status(q.text(8), q.text(9), q.text(10));
  if (!status) {
    return bad_column("status", raw_name, status.error());
  }
  std::optional<LscInfo> lsc;
  if (!q.is_null(14)) {
    lsc = LscInfo{q.text(14), q.text(15), q.time(16)};
  }
  std::optional<TimePoint> deadline;
  if (!q.is_null(7)) {
    deadline = q.time(7);
  }
  // Every field named: Device has members without default initializers.
  return Device{
      .name = *name,
      .operation = *operation,
      .auth_mode = *auth_mode,
      .auth_string = q.opt_text(3),
      .key_order = *key_order,
      .rsa_bits = static_cast<int>(q.integer(5)),
      .ec_bits = static_cast<int>(q.integer(6)),
      .deadline = deadline,
      .status = *status,
      .status_time = q.time(11),
      .status_detail = q.text(12),
      .auth_failures = static_cast<int>(q.integer(13)),
      .lsc = std::move(lsc),
      .description = q.text(17),
      .created = q.time(18),
      .updated = q.time(19),
      .version = q.integer(20),
  };
}

Where device_where(const DeviceFilter& f) {
  Where w;
  if (f.name_prefix && !f.name_prefix->empty()) {
    w.add("name >= ?", *f.name_prefix);
    if (auto bound = prefix_upper_bound(*f.name_prefix)) {
      w.add("name < ?", *bound);
    }
  }
  if (!f.after_name.empty()) {
    w.add("name > ?", f.after_name);
  }
  if (f.operation) {
    w.add("operation = ?", std::string(short_name(*f.operation)));
  }
  if (f.status_kind) {
    w.add("status_kind = ?", std::string(stored_name(*f.status_kind)));
  }
  if (f.auth_mode) {
    w.add("auth_mode = ?", std::string(short_name(*f.auth_mode)));
  }
  if (f.lsc_expires_before) {
    w.add("lsc_not_after < ?", to_unix(*f.lsc_expires_before));
  }
  if (f.with_lsc_only) {
    w.add("lsc_serial IS NOT NULL");
  }
  if (f.without_lsc_only) {
    w.add("lsc_serial IS NULL");
  }
  return w;
}

constexpr std::string_view kCertificateColumns =
    "serial_hex, device_name, issuer, subject, key_spec, not_before, not_after, pem, state, "
    "issued_at, state_time, session_id, revocation_reason";

Result<IssuedCertificate> read_certificate(const SqliteQuery& q) {
  IssuedCertificate c;
  c.serial_hex = q.text(0);
  c.device_name = q.text(1);
  c.issuer = q.text(2);
  c.subject = q.text(3);
  c.key_spec = q.text(4);
  c.not_before = q.time(5);
  c.not_after = q.time(6);
  c.pem = q.text(7);
  auto state = parse_certificate_state(q.text(8));
  if (!state) {
    return make_error(ErrorCode::kDatabase, "certificate {} has a bad state column: {}",
                      c.serial_hex, state.error().message);
  }
  c.state = *state;
  c.issued_at = q.time(9);
  c.state_time = q.time(10);
  c.session = q.text(11);
  c.revocation_reason = q.text(12);
  return c;
}

constexpr std::string_view kTrustColumns =
    "store_name, fingerprint, subject, issuer, not_after, pem, label, added";

TrustEntry read_trust(const SqliteQuery& q) {
  TrustEntry e;
  e.store = q.text(0);
  e.fingerprint = q.text(1);
  e.subject = q.text(2);
  e.issuer = q.text(3);
  e.not_after = q.time(4);
  e.pem = q.text(5);
  e.label = q.text(6);
  e.added = q.time(7);
  return e;
}

constexpr std::size_t kSha256HexDigits = 64;

}  // namespace

SqliteRegistry::SqliteRegistry(std::unique_ptr<SqliteConnection> connection, const Clock& clock)
    : connection_(std::move(connection)), clock_(clock) {}

SqliteRegistry::~SqliteRegistry() = default;

Result<std::unique_ptr<SqliteRegistry>> SqliteRegistry::open(const std::string& path,
                                                             const Clock& clock,
                                                             SqliteOptions options) {
  const auto context = fmt::format("cannot open registry '{}'", path);
  auto connection = SqliteConnection::open(path, options);
  if (!connection) {
    return connection.error().with_context(context);
  }
  std::unique_ptr<SqliteRegistry> registry(
      new SqliteRegistry(std::move(connection).value(), clock));
  if (auto s = registry->migrate(); !s) {
    return s.error().with_context(context);
  }
  return registry;
}

Result<SqliteSettings> SqliteRegistry::effective_settings() {
  std::lock_guard lock(mu_);
  return connection_->effective_settings();
}

Status SqliteRegistry::write(std::string_view doing, const std::function<Status()>& fn) {
  std::lock_guard lock(mu_);
  return connection_->in_transaction(doing, fn);
}

Status SqliteRegistry::migrate() {
  return write("migrating the registry schema", [&]() -> Status {
    {
      // A database with tables but without schema_version belongs to some other program.
      CAPF_ASSIGN_OR_RETURN(
          sqlite3_stmt * stmt,
          connection_->prepare("SELECT SUM(name = 'schema_version'), COUNT(*) FROM sqlite_master "
                               "WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"));
      SqliteQuery q(*connection_, stmt);
      CAPF_ASSIGN_OR_RETURN(bool row, q.step("reading the list of tables"));
      if (row && q.integer(0) == 0 && q.integer(1) > 0) {
        return make_error(ErrorCode::kDatabase,
                          "the file is an SQLite database but not an opencapf registry (it has "
                          "tables and no schema_version): give the path of a registry or of a "
                          "new file");
      }
    }
    CAPF_TRY(connection_->exec(std::string(kSchemaVersionTable), "creating schema_version"));
    CAPF_ASSIGN_OR_RETURN(int current, schema_version());
    if (current > latest_schema_version()) {
      return make_error(ErrorCode::kDatabase,
                        "registry schema version {} is newer than this opencapf supports ({}): "
                        "upgrade opencapf",
                        current, latest_schema_version());
    }
    for (const Migration& m : migrations()) {
      if (m.version <= current) {
        continue;
      }
      auto doing = fmt::format("applying schema migration {} ({})", m.version, m.description);
      CAPF_TRY(connection_->exec(render_sql(m.sql, SqlDialect::kSqlite), doing));
      CAPF_ASSIGN_OR_RETURN(
          sqlite3_stmt * stmt,
          connection_->prepare("INSERT INTO schema_version (version, description, applied_at) "
                               "VALUES (?, ?, ?)"));
      SqliteQuery q(*connection_, stmt);
      CAPF_TRY(q.bind(m.version).bind(m.description).bind(clock_.now()).run(doing));
    }
    return ok();
  });
}

Result<int> SqliteRegistry::schema_version() {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  SqliteQuery q(*connection_, stmt);
  CAPF_ASSIGN_OR_RETURN(bool row, q.step("reading the schema version"));
  return row ? static_cast<int>(q.integer(0)) : 0;
}

Status SqliteRegistry::transact(const std::function<Status()>& fn) {
  return write("running a registry transaction", fn);
}

Status SqliteRegistry::read_snapshot(const std::function<Status()>& fn) {
  std::lock_guard lock(mu_);
  return connection_->in_transaction("reading the registry", fn, /*read_only=*/true);
}

Result<std::vector<std::string>> SqliteRegistry::integrity_problems() {
  std::lock_guard lock(mu_);
  std::vector<std::string> problems;
  {
    // One row "ok", or one row per damaged page, index or constraint.
    CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, connection_->prepare("PRAGMA integrity_check"));
    SqliteQuery q(*connection_, stmt);
    for (;;) {
      CAPF_ASSIGN_OR_RETURN(bool row, q.step("checking the database file (integrity_check)"));
      if (!row)
        break;
      if (std::string line = q.text(0); line != "ok")
        problems.push_back("integrity_check: " + line);
    }
  }
  CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, connection_->prepare("PRAGMA foreign_key_check"));
  SqliteQuery q(*connection_, stmt);
  for (;;) {
    CAPF_ASSIGN_OR_RETURN(bool row, q.step("checking foreign keys (foreign_key_check)"));
    if (!row)
      break;
    problems.push_back(
        fmt::format("foreign_key_check: row {} of table {} refers to a missing row "
                    "of {}",
                    q.integer(1), q.text(0), q.text(2)));
  }
  return problems;
}

// ---- devices ----

Result<Device> SqliteRegistry::read_device_locked(const DeviceName& name, std::string_view doing) {
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare(fmt::format("SELECT {} FROM devices WHERE name = ?", kDeviceColumns)));
  SqliteQuery q(*connection_, stmt);
  q.bind(name.str());
  CAPF_ASSIGN_OR_RETURN(bool row, q.step(doing));
  if (!row) {
    return make_error(ErrorCode::kNotFound, "no device named {}", name.str());
  }
  return read_device(q);
}

Result<std::optional<Device>> SqliteRegistry::find_device(const DeviceName& name) {
  std::lock_guard lock(mu_);
  auto device = read_device_locked(name, fmt::format("reading device {}", name.str()));
  if (!device) {
    if (device.error().code == ErrorCode::kNotFound) {
      return std::optional<Device>();
    }
    return device.error();
  }
  return std::optional<Device>(std::move(device).value());
}

Result<Device> SqliteRegistry::insert_device(const Device& device) {
  if (device.name.str().empty()) {
    // A default-constructed name: storing it would leave a row that no longer reads back.
    return make_error(ErrorCode::kInvalidArgument, "cannot insert a device without a name");
  }
  const std::string doing = fmt::format("inserting device {}", device.name.str());
  std::optional<Device> stored;
  CAPF_TRY(write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        connection_->prepare(
            fmt::format("INSERT INTO devices ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                        "?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        kDeviceColumns)));
    SqliteQuery q(*connection_, stmt);
    const TimePoint now = clock_.now();
    q.bind(device.name.str());
    bind_device_fields(q, device);
    q.bind(now).bind(now).bind(std::int64_t{1});
    if (auto s = q.run(doing); !s) {
      if (q.violated_constraint()) {
        return make_error(ErrorCode::kAlreadyExists,
                          "device {} already exists: update it or remove it first",
                          device.name.str());
      }
      return s;
    }
    CAPF_ASSIGN_OR_RETURN(stored, read_device_locked(device.name, doing));
    return ok();
  }));
  return std::move(*stored);
}

Result<Device> SqliteRegistry::update_device(const Device& device) {
  const std::string doing = fmt::format("updating device {}", device.name.str());
  std::optional<Device> stored;
  CAPF_TRY(write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        connection_->prepare(
            "UPDATE devices SET operation = ?, auth_mode = ?, auth_string = ?, key_order = ?, "
            "rsa_bits = ?, ec_bits = ?, deadline = ?, status_kind = ?, status_operation = ?, "
            "status_reason = ?, status_time = ?, status_detail = ?, auth_failures = ?, "
            "lsc_serial = ?, lsc_issuer = ?, lsc_not_after = ?, description = ?, updated = ?, "
            "version = version + 1 WHERE name = ? AND version = ?"));
    {
      SqliteQuery q(*connection_, stmt);
      bind_device_fields(q, device);
      q.bind(clock_.now()).bind(device.name.str()).bind(device.version);
      CAPF_TRY(q.run(doing));
    }
    if (connection_->changes() == 0) {
      CAPF_ASSIGN_OR_RETURN(Device current, read_device_locked(device.name, doing));
      return make_error(ErrorCode::kConflict,
                        "device {} was changed by someone else (version {}, now {}): read it "
                        "again and retry",
                        device.name.str(), device.version, current.version);
    }
    CAPF_ASSIGN_OR_RETURN(stored, read_device_locked(device.name, doing));
    return ok();
  }));
  return std::move(*stored);
}

Result<int> SqliteRegistry::record_auth_failure(const DeviceName& name, int max_attempts) {
  const std::string doing = fmt::format("counting an authentication attempt of {}", name.str());
  int count = 0;
  CAPF_TRY(write(doing, [&]() -> Status {
    {
      // The condition and the increment are one statement: two sessions cannot both see the
      // count below the limit and both go on to compare a string.
      CAPF_ASSIGN_OR_RETURN(
          sqlite3_stmt * stmt,
          connection_->prepare("UPDATE devices SET auth_failures = auth_failures + 1, updated = ?, "
                               "version = version + 1 WHERE name = ? AND auth_failures < ?"));
      SqliteQuery q(*connection_, stmt);
      CAPF_TRY(q.bind(clock_.now()).bind(name.str()).bind(max_attempts).run(doing));
    }
    const bool counted = connection_->changes() > 0;
    CAPF_ASSIGN_OR_RETURN(Device current, read_device_locked(name, doing));
    if (!counted) {
      return make_error(ErrorCode::kPermissionDenied,
                        "locked after {} wrong authentication strings: set the operation again "
                        "to unlock it",
                        current.auth_failures);
    }
    count = current.auth_failures;
    return ok();
  }));
  return count;
}

Status SqliteRegistry::remove_device(const DeviceName& name) {
  const std::string doing = fmt::format("removing device {}", name.str());
  return write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                          connection_->prepare("DELETE FROM devices WHERE name = ?"));
    SqliteQuery q(*connection_, stmt);
    CAPF_TRY(q.bind(name.str()).run(doing));
    if (connection_->changes() == 0) {
      return make_error(ErrorCode::kNotFound, "no device named {}", name.str());
    }
    return ok();
  });
}

Result<std::vector<Device>> SqliteRegistry::list_devices(const DeviceFilter& filter) {
  std::lock_guard lock(mu_);
  Where where = device_where(filter);
  CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, connection_->prepare(fmt::format(
                                                 "SELECT {} FROM devices{} ORDER BY name LIMIT ?",
                                                 kDeviceColumns, where.sql)));
  SqliteQuery q(*connection_, stmt);
  where.bind_to(q);
  q.bind(to_sql_limit(filter.limit));
  std::vector<Device> out;
  while (true) {
    CAPF_ASSIGN_OR_RETURN(bool row, q.step("listing devices"));
    if (!row) {
      break;
    }
    CAPF_ASSIGN_OR_RETURN(Device d, read_device(q));
    out.push_back(std::move(d));
  }
  return out;
}

Result<std::int64_t> SqliteRegistry::count_devices(const DeviceFilter& filter) {
  std::lock_guard lock(mu_);
  Where where = device_where(filter);
  CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, connection_->prepare(fmt::format(
                                                 "SELECT COUNT(*) FROM devices{}", where.sql)));
  SqliteQuery q(*connection_, stmt);
  where.bind_to(q);
  CAPF_ASSIGN_OR_RETURN(bool row, q.step("counting devices"));
  return row ? q.integer(0) : std::int64_t{0};
}

// ---- certificate ledger ----

Status SqliteRegistry::record_issued(const IssuedCertificate& cert) {
  const std::string doing =
      fmt::format("recording certificate {} of {}", cert.serial_hex, cert.device_name);
  return write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                          connection_->prepare(fmt::format(
                              "INSERT INTO certificates ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                              "?, ?, ?)",
                              kCertificateColumns)));
    SqliteQuery q(*connection_, stmt);
    q.bind(cert.serial_hex)
        .bind(cert.device_name)
        .bind(cert.issuer)
        .bind(cert.subject)
        .bind(cert.key_spec)
        .bind(cert.not_before)
        .bind(cert.not_after)
        .bind(cert.pem)
        .bind(to_string(cert.state))
        .bind(cert.issued_at)
        .bind(cert.state_time)
        .bind(cert.session)
        .bind(cert.revocation_reason);
    if (auto s = q.run(doing); !s) {
      if (q.violated_constraint()) {
        return make_error(ErrorCode::kAlreadyExists,
                          "certificate serial {} is already recorded: serials must be unique",
                          cert.serial_hex);
      }
      return s;
    }
    return ok();
  });
}

Status SqliteRegistry::set_certificate_state(const std::string& serial_hex, CertificateState state,
                                             TimePoint when, const std::string& reason) {
  const std::string doing = fmt::format("marking certificate {} {}", serial_hex, to_string(state));
  return write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                          connection_->prepare("UPDATE certificates SET state = ?, state_time = ?, "
                                               "revocation_reason = ? WHERE serial_hex = ?"));
    SqliteQuery q(*connection_, stmt);
    CAPF_TRY(q.bind(to_string(state)).bind(when).bind(reason).bind(serial_hex).run(doing));
    if (connection_->changes() == 0) {
      return make_error(ErrorCode::kNotFound, "no certificate with serial {} in the ledger",
                        serial_hex);
    }
    return ok();
  });
}

Result<std::optional<IssuedCertificate>> SqliteRegistry::find_certificate(
    const std::string& serial_hex) {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, connection_->prepare(fmt::format(
                                                 "SELECT {} FROM certificates WHERE serial_hex = ?",
                                                 kCertificateColumns)));
  SqliteQuery q(*connection_, stmt);
  q.bind(serial_hex);
  CAPF_ASSIGN_OR_RETURN(bool row, q.step(fmt::format("reading certificate {}", serial_hex)));
  if (!row) {
    return std::optional<IssuedCertificate>();
  }
  CAPF_ASSIGN_OR_RETURN(IssuedCertificate c, read_certificate(q));
  return std::optional<IssuedCertificate>(std::move(c));
}

Result<std::vector<IssuedCertificate>> SqliteRegistry::list_certificates(
    const CertificateFilter& filter) {
  std::lock_guard lock(mu_);
  Where where;
  if (filter.device_name) {
    where.add("device_name = ?", *filter.device_name);
  }
  if (filter.serial_hex) {
    where.add("serial_hex = ?", *filter.serial_hex);
  }
  if (filter.state) {
    where.add("state = ?", std::string(to_string(*filter.state)));
  }
  if (filter.expires_before) {
    where.add("not_after < ?", to_unix(*filter.expires_before));
  }
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare(
          fmt::format("SELECT {} FROM certificates{} ORDER BY issued_at DESC, serial_hex DESC "
                      "LIMIT ?",
                      kCertificateColumns, where.sql)));
  SqliteQuery q(*connection_, stmt);
  where.bind_to(q);
  q.bind(to_sql_limit(filter.limit));
  std::vector<IssuedCertificate> out;
  while (true) {
    CAPF_ASSIGN_OR_RETURN(bool row, q.step("listing certificates"));
    if (!row) {
      break;
    }
    CAPF_ASSIGN_OR_RETURN(IssuedCertificate c, read_certificate(q));
    out.push_back(std::move(c));
  }
  return out;
}

// ---- events ----

Status SqliteRegistry::append_event(const DeviceEvent& event) {
  const std::string doing =
      fmt::format("recording a {} event of {}", event.kind, event.device_name);
  return write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        connection_->prepare("INSERT INTO device_events (device_name, event_time, session_id, "
                             "kind, detail) VALUES (?, ?, ?, ?, ?)"));
    SqliteQuery q(*connection_, stmt);
    return q.bind(event.device_name)
        .bind(event.time)
        .bind(event.session)
        .bind(event.kind)
        .bind(event.detail)
        .run(doing);
  });
}

Result<std::vector<DeviceEvent>> SqliteRegistry::device_events(const std::string& device_name,
                                                               std::size_t limit) {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare(
          "SELECT device_name, event_time, session_id, kind, detail FROM device_events "
          "WHERE device_name = ? ORDER BY event_time DESC, id DESC LIMIT ?"));
  SqliteQuery q(*connection_, stmt);
  q.bind(device_name).bind(to_sql_limit(limit));
  std::vector<DeviceEvent> out;
  const std::string doing = fmt::format("reading the events of {}", device_name);
  while (true) {
    CAPF_ASSIGN_OR_RETURN(bool row, q.step(doing));
    if (!row) {
      break;
    }
    out.push_back(DeviceEvent{q.text(0), q.time(1), q.text(2), q.text(3), q.text(4)});
  }
  return out;
}

Result<std::vector<DeviceEvent>> SqliteRegistry::recent_session_events(std::size_t limit) {
  std::lock_guard lock(mu_);
  // Newest rowid first: the scan walks the table backwards and stops at `limit` rows.
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare(
          "SELECT device_name, event_time, session_id, kind, detail FROM device_events "
          "WHERE session_id <> '' AND kind IN ('status', 'pending', 'troubleshoot') "
          "ORDER BY id DESC LIMIT ?"));
  SqliteQuery q(*connection_, stmt);
  q.bind(to_sql_limit(limit));
  std::vector<DeviceEvent> out;
  while (true) {
    CAPF_ASSIGN_OR_RETURN(bool row, q.step("reading the recent sessions"));
    if (!row) {
      break;
    }
    out.push_back(DeviceEvent{q.text(0), q.time(1), q.text(2), q.text(3), q.text(4)});
  }
  return out;
}

// ---- trust ----

Status SqliteRegistry::bump_trust_generation() {
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare(
          "UPDATE registry_counters SET value = value + 1 WHERE name = 'trust_generation'"));
  SqliteQuery q(*connection_, stmt);
  return q.run("bumping the trust generation");
}

Status SqliteRegistry::add_trust(const TrustEntry& entry) {
  CAPF_ASSIGN_OR_RETURN(std::string fingerprint, normalize_fingerprint(entry.fingerprint));
  if (fingerprint.size() != kSha256HexDigits) {
    return make_error(ErrorCode::kInvalidArgument,
                      "fingerprint '{}' has {} hex digits: give the 64 of a SHA-256",
                      entry.fingerprint, fingerprint.size());
  }
  const std::string doing =
      fmt::format("adding {} ({}) to {}", entry.subject, fingerprint, entry.store);
  return write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        connection_->prepare(fmt::format(
            "INSERT INTO trust_entries ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", kTrustColumns)));
    {
      SqliteQuery q(*connection_, stmt);
      q.bind(entry.store)
          .bind(fingerprint)
          .bind(entry.subject)
          .bind(entry.issuer)
          .bind(entry.not_after)
          .bind(entry.pem)
          .bind(entry.label)
          .bind(clock_.now());
      if (auto s = q.run(doing); !s) {
        if (q.violated_constraint()) {
          return make_error(ErrorCode::kAlreadyExists, "{} ({}) is already in {}", entry.subject,
                            fingerprint, entry.store);
        }
        return s;
      }
    }
    return bump_trust_generation();
  });
}

Status SqliteRegistry::remove_trust(const std::string& store, const std::string& fingerprint) {
  CAPF_ASSIGN_OR_RETURN(std::string prefix, normalize_fingerprint(fingerprint));
  if (prefix.size() < kMinFingerprintPrefix) {
    return make_error(ErrorCode::kInvalidArgument,
                      "fingerprint prefix '{}' is too short: give at least {} hex digits",
                      fingerprint, kMinFingerprintPrefix);
  }
  const std::string doing = fmt::format("removing {} from {}", prefix, store);
  return write(doing, [&]() -> Status {
    std::vector<std::string> matches;
    {
      CAPF_ASSIGN_OR_RETURN(
          sqlite3_stmt * stmt,
          connection_->prepare("SELECT fingerprint FROM trust_entries WHERE store_name = ? "
                               "AND fingerprint >= ? AND fingerprint < ? "
                               "ORDER BY fingerprint LIMIT 2"));
      SqliteQuery q(*connection_, stmt);
      // prefix is non-empty hex, so it always has an upper bound.
      q.bind(store).bind(prefix).bind(prefix_upper_bound(prefix).value_or(std::string()));
      while (true) {
        CAPF_ASSIGN_OR_RETURN(bool row, q.step(doing));
        if (!row) {
          break;
        }
        matches.push_back(q.text(0));
      }
    }
    if (matches.empty()) {
      return make_error(ErrorCode::kNotFound, "no certificate with fingerprint {} in {}", prefix,
                        store);
    }
    if (matches.size() > 1) {
      return make_error(ErrorCode::kInvalidArgument,
                        "fingerprint prefix '{}' matches several certificates in {}: give more "
                        "digits",
                        fingerprint, store);
    }
    {
      CAPF_ASSIGN_OR_RETURN(
          sqlite3_stmt * stmt,
          connection_->prepare(
              "DELETE FROM trust_entries WHERE store_name = ? AND fingerprint = ?"));
      SqliteQuery q(*connection_, stmt);
      CAPF_TRY(q.bind(store).bind(matches.front()).run(doing));
    }
    return bump_trust_generation();
  });
}

Result<std::vector<TrustEntry>> SqliteRegistry::list_trust(const std::string& store) {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare(fmt::format("SELECT {} FROM trust_entries WHERE store_name = ? "
                                       "ORDER BY subject, fingerprint",
                                       kTrustColumns)));
  SqliteQuery q(*connection_, stmt);
  q.bind(store);
  std::vector<TrustEntry> out;
  const std::string doing = fmt::format("listing {}", store);
  while (true) {
    CAPF_ASSIGN_OR_RETURN(bool row, q.step(doing));
    if (!row) {
      break;
    }
    out.push_back(read_trust(q));
  }
  return out;
}

Result<std::int64_t> SqliteRegistry::trust_generation() {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare("SELECT value FROM registry_counters WHERE name = 'trust_generation'"));
  SqliteQuery q(*connection_, stmt);
  CAPF_ASSIGN_OR_RETURN(bool row, q.step("reading the trust generation"));
  if (!row) {
    return make_error(ErrorCode::kDatabase,
                      "the registry has no trust_generation counter: restore it from a backup");
  }
  return q.integer(0);
}

Result<std::int64_t> SqliteRegistry::next_crl_number() {
  std::int64_t number = 0;
  CAPF_TRY(transact([&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(
        sqlite3_stmt * bump,
        connection_->prepare(
            "UPDATE registry_counters SET value = value + 1 WHERE name = 'crl_number'"));
    SqliteQuery b(*connection_, bump);
    CAPF_TRY(b.run("bumping the CRL number"));
    CAPF_ASSIGN_OR_RETURN(
        sqlite3_stmt * read,
        connection_->prepare("SELECT value FROM registry_counters WHERE name = 'crl_number'"));
    SqliteQuery q(*connection_, read);
    CAPF_ASSIGN_OR_RETURN(bool row, q.step("reading the CRL number"));
    if (!row) {
      return make_error(ErrorCode::kDatabase,
                        "the registry has no crl_number counter: restore it from a backup");
    }
    number = q.integer(0);
    return ok();
  }));
  return number;
}

}  // namespace capf
