// SqliteRegistry's DeviceStore: the devices table.
#include "capf/store/sqlite/sqlite_registry.h"

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "capf/store/sql_rows.h"
#include "capf/store/sql_where.h"

namespace capf {
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
  return none_if_not_found(read_device_locked(name, fmt::format("reading device {}", name.str())));
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
    CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, connection_->prepare(std::string(kUpdateDeviceSql)));
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
