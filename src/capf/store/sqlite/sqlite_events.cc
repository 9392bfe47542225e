// SqliteRegistry's EventLog: the device_events table.
#include "capf/store/sqlite/sqlite_registry.h"

#include <string>

#include <fmt/format.h>

#include "capf/store/sql_rows.h"
#include "capf/store/sql_where.h"

namespace capf {

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
    out.push_back(read_event(q));
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
    out.push_back(read_event(q));
  }
  return out;
}

}  // namespace capf
