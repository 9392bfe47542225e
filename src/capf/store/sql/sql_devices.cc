// SqlRegistry's DeviceStore: the devices table.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "capf/store/sql/sql_registry.h"
#include "capf/store/sql_rows.h"
#include "capf/store/sql_where.h"

namespace capf {

Result<Device> SqlRegistry::read_device_locked(const DeviceName& name, std::string_view doing) {
  auto q = query(fmt::format("SELECT {} FROM devices WHERE name = ?", kDeviceColumns));
  CAPF_ASSIGN_OR_RETURN(bool row, q->bind(name.str()).step(doing));
  if (!row) {
    return make_error(ErrorCode::kNotFound, "no device named {}", name.str());
  }
  return read_device(*q);
}

Result<std::optional<Device>> SqlRegistry::find_device(const DeviceName& name) {
  std::lock_guard lock(mu_);
  return none_if_not_found(read_device_locked(name, fmt::format("reading device {}", name.str())));
}

Result<Device> SqlRegistry::insert_device(const Device& device) {
  if (device.name.str().empty()) {
    // A default-constructed name: storing it would leave a row that no longer reads back.
    return make_error(ErrorCode::kInvalidArgument, "cannot insert a device without a name");
  }
  const std::string doing = fmt::format("inserting device {}", device.name.str());
  std::optional<Device> stored;
  CAPF_TRY(write(doing, [&]() -> Status {
    auto q = query(fmt::format(
        "INSERT INTO devices ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?, ?) RETURNING {}",
        kDeviceColumns, kDeviceColumns));
    const TimePoint now = clock_.now();
    q->bind(device.name.str());
    bind_device_fields(*q, device);
    q->bind(now).bind(now).bind(std::int64_t{1});
    auto row = q->step(doing);
    if (!row) {
      if (row.error().code == ErrorCode::kAlreadyExists) {
        return make_error(ErrorCode::kAlreadyExists,
                          "device {} already exists: update it or remove it first",
                          device.name.str());
      }
      return row.error();
    }
    if (!*row) {
      return make_error(ErrorCode::kDatabase, "{}: the insert returned no row", doing);
    }
    CAPF_ASSIGN_OR_RETURN(stored, read_device(*q));
    return ok();
  }));
  return std::move(*stored);
}

Result<Device> SqlRegistry::update_device(const Device& device) {
  const std::string doing = fmt::format("updating device {}", device.name.str());
  std::optional<Device> stored;
  CAPF_TRY(write(doing, [&]() -> Status {
    auto q = query(fmt::format("{} RETURNING {}", kUpdateDeviceSql, kDeviceColumns));
    bind_device_fields(*q, device);
    q->bind(clock_.now()).bind(device.name.str()).bind(device.version);
    CAPF_ASSIGN_OR_RETURN(bool row, q->step(doing));
    if (!row) {
      CAPF_ASSIGN_OR_RETURN(Device current, read_device_locked(device.name, doing));
      return make_error(ErrorCode::kConflict,
                        "device {} was changed by someone else (version {}, now {}): read it "
                        "again and retry",
                        device.name.str(), device.version, current.version);
    }
    CAPF_ASSIGN_OR_RETURN(stored, read_device(*q));
    return ok();
  }));
  return std::move(*stored);
}

Result<int> SqlRegistry::record_auth_failure(const DeviceName& name, int max_attempts) {
  const std::string doing = fmt::format("counting an authentication attempt of {}", name.str());
  int count = 0;
  CAPF_TRY(write(doing, [&]() -> Status {
    // The condition and the increment are one statement (under the write or row lock): two
    // sessions, on any node, cannot both see the count below the limit and both go on to compare
    // a string.
    auto q = query(
        "UPDATE devices SET auth_failures = auth_failures + 1, updated = ?, "
        "version = version + 1 WHERE name = ? AND auth_failures < ? RETURNING auth_failures");
    CAPF_ASSIGN_OR_RETURN(bool row,
                          q->bind(clock_.now()).bind(name.str()).bind(max_attempts).step(doing));
    if (row) {
      count = static_cast<int>(q->integer(0));
      return ok();
    }
    CAPF_ASSIGN_OR_RETURN(Device current, read_device_locked(name, doing));
    return make_error(ErrorCode::kPermissionDenied,
                      "locked after {} wrong authentication strings: set the operation again "
                      "to unlock it",
                      current.auth_failures);
  }));
  return count;
}

Status SqlRegistry::remove_device(const DeviceName& name) {
  const std::string doing = fmt::format("removing device {}", name.str());
  return write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(std::int64_t changed,
                          query("DELETE FROM devices WHERE name = ?")->bind(name.str()).run(doing));
    if (changed == 0) {
      return make_error(ErrorCode::kNotFound, "no device named {}", name.str());
    }
    return ok();
  });
}

Result<std::vector<Device>> SqlRegistry::list_devices(const DeviceFilter& filter) {
  return list_page<Device>(fmt::format("SELECT {} FROM devices", kDeviceColumns),
                           device_where(filter), "name", filter.limit, "listing devices",
                           read_device<SqlStatement>);
}

Result<std::int64_t> SqlRegistry::count_devices(const DeviceFilter& filter) {
  return count_rows("devices", device_where(filter), "counting devices");
}

}  // namespace capf
