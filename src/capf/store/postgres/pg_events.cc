// PgRegistry's EventLog: the device_events table.
#include <string>

#include <fmt/format.h>

#include "capf/store/postgres/pg_registry.h"
#include "capf/store/sql_rows.h"
#include "capf/store/sql_where.h"

namespace capf {

Status PgRegistry::append_event(const DeviceEvent& event) {
  const std::string doing =
      fmt::format("recording a {} event of {}", event.kind, event.device_name);
  return write(doing, [&]() -> Status {
    return query(
               fmt::format("INSERT INTO device_events ({}) VALUES (?, ?, ?, ?, ?)", kEventColumns))
        .bind(event.device_name)
        .bind(event.time)
        .bind(event.session)
        .bind(event.kind)
        .bind(event.detail)
        .run_status(doing);
  });
}

Result<std::vector<DeviceEvent>> PgRegistry::device_events(const std::string& device_name,
                                                           std::size_t limit) {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(PgRows rows,
                        query(fmt::format("SELECT {} FROM device_events WHERE device_name = ? "
                                          "ORDER BY event_time DESC, id DESC LIMIT ?",
                                          kEventColumns))
                            .bind(device_name)
                            .bind(to_sql_limit(limit))
                            .run(fmt::format("reading the events of {}", device_name)));
  return read_rows<DeviceEvent>(rows, read_event<PgRows::Row>);
}

Result<std::vector<DeviceEvent>> PgRegistry::recent_session_events(std::size_t limit) {
  std::lock_guard lock(mu_);
  // Newest id first: the scan walks the primary key backwards and stops at `limit` rows.
  CAPF_ASSIGN_OR_RETURN(PgRows rows,
                        query(fmt::format("SELECT {} FROM device_events WHERE session_id <> '' AND "
                                          "kind IN ('status', 'pending', 'troubleshoot') "
                                          "ORDER BY id DESC LIMIT ?",
                                          kEventColumns))
                            .bind(to_sql_limit(limit))
                            .run("reading the recent sessions"));
  return read_rows<DeviceEvent>(rows, read_event<PgRows::Row>);
}

}  // namespace capf
