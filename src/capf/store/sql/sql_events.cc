// SqlRegistry's EventLog: the device_events table.
#include <string>

#include <fmt/format.h>

#include "capf/store/sql/sql_registry.h"
#include "capf/store/sql_rows.h"
#include "capf/store/sql_where.h"

namespace capf {

Status SqlRegistry::append_event(const DeviceEvent& event) {
  const std::string doing =
      fmt::format("recording a {} event of {}", event.kind, event.device_name);
  return write(doing, [&]() -> Status {
    CAPF_TRY(
        query(fmt::format("INSERT INTO device_events ({}) VALUES (?, ?, ?, ?, ?)", kEventColumns))
            ->bind(event.device_name)
            .bind(event.time)
            .bind(event.session)
            .bind(event.kind)
            .bind(event.detail)
            .run(doing));
    return ok();
  });
}

Result<std::vector<DeviceEvent>> SqlRegistry::device_events(const std::string& device_name,
                                                            std::size_t limit) {
  std::lock_guard lock(mu_);
  auto q =
      query(fmt::format("SELECT {} FROM device_events WHERE device_name = ? "
                        "ORDER BY event_time DESC, id DESC LIMIT ?",
                        kEventColumns));
  q->bind(device_name).bind(to_sql_limit(limit));
  return read_all<DeviceEvent>(*q, fmt::format("reading the events of {}", device_name),
                               read_event<SqlStatement>);
}

Result<std::vector<DeviceEvent>> SqlRegistry::recent_session_events(std::size_t limit) {
  std::lock_guard lock(mu_);
  // Newest id first: the scan walks the primary key backwards and stops at `limit` rows.
  auto q =
      query(fmt::format("SELECT {} FROM device_events WHERE session_id <> '' AND "
                        "kind IN ('status', 'pending', 'troubleshoot') "
                        "ORDER BY id DESC LIMIT ?",
                        kEventColumns));
  q->bind(to_sql_limit(limit));
  return read_all<DeviceEvent>(*q, "reading the recent sessions", read_event<SqlStatement>);
}

}  // namespace capf
