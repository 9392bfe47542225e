// SqliteRegistry's DeviceStore: the devices table.
#include "capf/store/sqlite/sqlite_registry.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

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

}  // namespace

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

}  // namespace capf
