// PgRegistry's DeviceStore: the devices table.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "capf/store/postgres/pg_registry.h"
#include "capf/store/sql_rows.h"
#include "capf/store/sql_where.h"

namespace capf {

Result<Device> PgRegistry::read_device_locked(const DeviceName& name, std::string_view doing) {
  CAPF_ASSIGN_OR_RETURN(PgRows rows,
                        query(fmt::format("SELECT {} FROM devices WHERE name = ?", kDeviceColumns))
                            .bind(name.str())
                            .run(doing));
  if (rows.size() == 0) {
    return make_error(ErrorCode::kNotFound, "no device named {}", name.str());
  }
  return read_device(rows.row(0));
}

Result<std::optional<Device>> PgRegistry::find_device(const DeviceName& name) {
  std::lock_guard lock(mu_);
  return none_if_not_found(read_device_locked(name, fmt::format("reading device {}", name.str())));
}

Result<Device> PgRegistry::insert_device(const Device& device) {
  if (device.name.str().empty()) {
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
    q.bind(device.name.str());
    bind_device_fields(q, device);
    q.bind(now).bind(now).bind(std::int64_t{1});
    auto rows = q.run(doing);
    if (!rows) {
      if (rows.error().code == ErrorCode::kAlreadyExists) {
        return make_error(ErrorCode::kAlreadyExists,
                          "device {} already exists: update it or remove it first",
                          device.name.str());
      }
      return rows.error();
    }
    CAPF_ASSIGN_OR_RETURN(stored, read_device(rows->row(0)));
    return ok();
  }));
  return std::move(*stored);
}

Result<Device> PgRegistry::update_device(const Device& device) {
  const std::string doing = fmt::format("updating device {}", device.name.str());
  std::optional<Device> stored;
  CAPF_TRY(write(doing, [&]() -> Status {
    auto q = query(fmt::format("{} RETURNING {}", kUpdateDeviceSql, kDeviceColumns));
    bind_device_fields(q, device);
    q.bind(clock_.now()).bind(device.name.str()).bind(device.version);
    CAPF_ASSIGN_OR_RETURN(PgRows rows, q.run(doing));
    if (rows.size() == 0) {
      CAPF_ASSIGN_OR_RETURN(Device current, read_device_locked(device.name, doing));
      return make_error(ErrorCode::kConflict,
                        "device {} was changed by someone else (version {}, now {}): read it "
                        "again and retry",
                        device.name.str(), device.version, current.version);
    }
    CAPF_ASSIGN_OR_RETURN(stored, read_device(rows.row(0)));
    return ok();
  }));
  return std::move(*stored);
}

Result<int> PgRegistry::record_auth_failure(const DeviceName& name, int max_attempts) {
  const std::string doing = fmt::format("counting an authentication attempt of {}", name.str());
  int count = 0;
  CAPF_TRY(write(doing, [&]() -> Status {
    // The condition and the increment are one statement under the row lock: sessions on any
    // node cannot both see the count below the limit and both go on to compare a string.
    CAPF_ASSIGN_OR_RETURN(
        PgRows rows,
        query("UPDATE devices SET auth_failures = auth_failures + 1, updated = ?, "
              "version = version + 1 WHERE name = ? AND auth_failures < ? RETURNING auth_failures")
            .bind(clock_.now())
            .bind(name.str())
            .bind(max_attempts)
            .run(doing));
    if (rows.size() > 0) {
      count = static_cast<int>(rows.row(0).integer(0));
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

Status PgRegistry::remove_device(const DeviceName& name) {
  const std::string doing = fmt::format("removing device {}", name.str());
  return write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(PgRows rows,
                          query("DELETE FROM devices WHERE name = ?").bind(name.str()).run(doing));
    if (rows.changed() == 0) {
      return make_error(ErrorCode::kNotFound, "no device named {}", name.str());
    }
    return ok();
  });
}

Result<std::vector<Device>> PgRegistry::list_devices(const DeviceFilter& filter) {
  std::lock_guard lock(mu_);
  Where where = device_where(filter);
  auto q = query(
      fmt::format("SELECT {} FROM devices{} ORDER BY name LIMIT ?", kDeviceColumns, where.sql));
  where.bind_to(q);
  q.bind(to_sql_limit(filter.limit));
  CAPF_ASSIGN_OR_RETURN(PgRows rows, q.run("listing devices"));
  return read_rows<Device>(rows, read_device<PgRows::Row>);
}

Result<std::int64_t> PgRegistry::count_devices(const DeviceFilter& filter) {
  std::lock_guard lock(mu_);
  Where where = device_where(filter);
  auto q = query(fmt::format("SELECT COUNT(*) FROM devices{}", where.sql));
  where.bind_to(q);
  CAPF_ASSIGN_OR_RETURN(PgRows rows, q.run("counting devices"));
  return rows.row(0).integer(0);
}

}  // namespace capf
