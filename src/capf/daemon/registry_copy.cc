// migrate_registry(): the SQLite source read in one snapshot, the PostgreSQL target written in one
// transaction, table by table in batches of multi-row INSERTs with text parameters (PostgreSQL
// casts each to its column's type).
#include "capf/daemon/registry_copy.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <optional>
#include <string_view>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "capf/store/postgres/pg_registry.h"
#include "capf/store/sqlite/sqlite_registry.h"

namespace capf {
namespace {

// Tables that are not copied: each side's own migration record, and the claims and heartbeats of
// running nodes (none run on a single-node registry; a cluster starts without them).
constexpr std::array<std::string_view, 3> kNotCopied = {"schema_version", "device_claims",
                                                        "cluster_nodes"};
// Created with rows by the migrations: empty means every counter is still 0.
constexpr std::string_view kCounters = "registry_counters";
// Rows per INSERT: well below PostgreSQL's 65535 parameters for the widest table.
constexpr std::size_t kBatchRows = 200;

using Row = std::vector<std::optional<std::string>>;

std::string read_text(SqlStatement& q) {
  return q.text(0);
}

bool copied(std::string_view table) {
  return std::find(kNotCopied.begin(), kNotCopied.end(), table) == kNotCopied.end();
}

// The copied tables of one side, by name.
Result<std::vector<std::string>> tables(SqlConnection& c, std::string_view list_sql,
                                        std::string_view side) {
  auto q = c.statement(list_sql);
  CAPF_ASSIGN_OR_RETURN(
      auto names,
      read_all<std::string>(*q, fmt::format("listing the {}'s tables", side), read_text));
  std::erase_if(names, [](const std::string& name) { return !copied(name); });
  std::sort(names.begin(), names.end());
  return names;
}

Result<std::int64_t> count(SqlConnection& c, const std::string& table, std::string_view where,
                           std::string_view doing) {
  auto q = c.statement(fmt::format("SELECT COUNT(*) FROM {}{}", table, where));
  CAPF_ASSIGN_OR_RETURN(auto n, read_first<std::int64_t>(*q, doing, [](SqlStatement& s) {
                          return Result<std::int64_t>(s.integer(0));
                        }));
  return n.value_or(0);
}

// kConflict naming what the target already holds, unless every table is empty (and every counter
// still 0). device_claims and cluster_nodes count too: a node is using that database.
Status check_empty(SqlConnection& target) {
  auto q = target.statement(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
      "AND table_type = 'BASE TABLE' AND table_name <> 'schema_version' ORDER BY table_name");
  CAPF_ASSIGN_OR_RETURN(auto names,
                        read_all<std::string>(*q, "listing the target's tables", read_text));
  std::vector<std::string> held;
  for (const std::string& table : names) {
    CAPF_ASSIGN_OR_RETURN(std::int64_t n,
                          count(target, table, table == kCounters ? " WHERE value <> 0" : "",
                                "counting the target's rows"));
    if (n > 0) {
      held.push_back(fmt::format("{} row(s) in {}", n, table));
    }
  }
  if (held.empty()) {
    return ok();
  }
  return make_error(ErrorCode::kConflict,
                    "the target already holds {}: give an empty database (createdb a new one)",
                    fmt::join(held, ", "));
}

// One multi-row INSERT of `rows` into `table`.
Status insert_batch(SqlConnection& target, const std::string& table,
                    const std::vector<std::string>& columns, const std::vector<Row>& rows) {
  if (rows.empty()) {
    return ok();
  }
  const std::string one =
      fmt::format("({})", fmt::join(std::vector<std::string_view>(columns.size(), "?"), ", "));
  auto q =
      target.statement(fmt::format("INSERT INTO {} ({}) VALUES {}", table, fmt::join(columns, ", "),
                                   fmt::join(std::vector<std::string>(rows.size(), one), ", ")));
  for (const Row& row : rows) {
    for (const auto& value : row) {
      value ? q->bind_text(*value) : q->bind_null();
    }
  }
  CAPF_ASSIGN_OR_RETURN(std::int64_t n, q->run("inserting rows"));
  if (n != static_cast<std::int64_t>(rows.size())) {
    return make_error(ErrorCode::kDatabase, "{} row(s) inserted of {}", n, rows.size());
  }
  return ok();
}

// Moves the identity sequences of `table` past the largest copied id.
Status move_sequences(SqlConnection& target, const std::string& table) {
  auto q = target.statement(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
      "AND table_name = ? AND is_identity = 'YES'");
  CAPF_ASSIGN_OR_RETURN(
      auto identities,
      read_all<std::string>(q->bind(table), "finding identity columns", read_text));
  for (const std::string& column : identities) {
    auto set = target.statement(
        fmt::format("SELECT setval(pg_get_serial_sequence('{0}', '{1}'), MAX({1})) FROM {0} "
                    "HAVING MAX({1}) IS NOT NULL",
                    table, column));
    CAPF_TRY(read_all<std::string>(*set, "moving the identity sequence", read_text));
  }
  return ok();
}

// Copies one table and compares its counts; errors name no table (the caller adds it).
Result<CopiedTable> copy_table(SqlConnection& source, SqlConnection& target,
                               const std::string& table) {
  auto info = source.statement("SELECT name FROM pragma_table_info(?) ORDER BY cid");
  CAPF_ASSIGN_OR_RETURN(auto columns,
                        read_all<std::string>(info->bind(table), "reading its columns", read_text));
  if (table == kCounters) {
    CAPF_TRY(target.exec(fmt::format("DELETE FROM {}", table), "clearing the new counters"));
  }
  auto rows = source.statement(fmt::format("SELECT {} FROM {}", fmt::join(columns, ", "), table));
  std::vector<Row> batch;
  for (;;) {
    CAPF_ASSIGN_OR_RETURN(bool more, rows->step("reading the source's rows"));
    if (!more) {
      break;
    }
    Row row;
    for (int i = 0; i < static_cast<int>(columns.size()); ++i) {
      row.push_back(rows->opt_text(i));
    }
    batch.push_back(std::move(row));
    if (batch.size() == kBatchRows) {
      CAPF_TRY(insert_batch(target, table, columns, batch));
      batch.clear();
    }
  }
  CAPF_TRY(insert_batch(target, table, columns, batch));
  CAPF_TRY(move_sequences(target, table));
  CopiedTable result{table};
  CAPF_ASSIGN_OR_RETURN(result.source_rows, count(source, table, "", "counting the source's rows"));
  CAPF_ASSIGN_OR_RETURN(result.target_rows, count(target, table, "", "counting the target's rows"));
  if (result.source_rows != result.target_rows) {
    return make_error(ErrorCode::kDatabase, "{} row(s) in the source but {} in the target",
                      result.source_rows, result.target_rows);
  }
  return result;
}

// Every copied table, in the target's open transaction.
Status copy_tables(SqlConnection& source, SqlConnection& target, RegistryMigrationReport& report) {
  CAPF_ASSIGN_OR_RETURN(
      auto names,
      tables(source,
             "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'",
             "source"));
  CAPF_ASSIGN_OR_RETURN(auto target_names,
                        tables(target,
                               "SELECT table_name FROM information_schema.tables WHERE "
                               "table_schema = current_schema() AND table_type = 'BASE TABLE'",
                               "target"));
  if (names != target_names) {
    return make_error(ErrorCode::kDatabase, "the source has tables {} but the target {}",
                      fmt::join(names, ", "), fmt::join(target_names, ", "));
  }
  CAPF_TRY(check_empty(target));
  for (const std::string& table : names) {
    auto one = copy_table(source, target, table);
    if (!one) {
      return one.error().with_context(fmt::format("copying table {} (nothing was copied)", table));
    }
    report.tables.push_back(std::move(one).value());
  }
  return ok();
}

// The source file's schema version before SqliteRegistry::open migrates it; 0 when it has none.
Result<int> version_before(const std::string& path) {
  CAPF_ASSIGN_OR_RETURN(auto c, SqliteConnection::open(path, SqliteOptions{}));
  auto q = c->statement("SELECT MAX(version) FROM schema_version");
  auto version = read_first<int>(*q, "reading the schema version", [](SqlStatement& s) {
    return Result<int>(s.is_null(0) ? 0 : static_cast<int>(s.integer(0)));
  });
  return version ? version->value_or(0) : 0;
}

}  // namespace

Result<RegistryMigrationReport> migrate_registry(const RegistryMigrationOptions& options,
                                                 const Clock& clock) {
  CAPF_TRY(check_store_url(options.target_url));
  std::error_code ec;
  if (!std::filesystem::is_regular_file(options.source_path, ec)) {
    return make_error(ErrorCode::kNotFound,
                      "no registry at {}: give the data directory of a single-node opencapf",
                      options.source_path);
  }
  PgOptions pg_options;
  pg_options.password_file = options.password_file;
  CAPF_ASSIGN_OR_RETURN(auto target, PgRegistry::open(options.target_url, clock, pg_options));
  RegistryMigrationReport report;
  CAPF_ASSIGN_OR_RETURN(report.source_version_before, version_before(options.source_path));
  CAPF_ASSIGN_OR_RETURN(auto source, SqliteRegistry::open(options.source_path, clock));
  CAPF_ASSIGN_OR_RETURN(report.schema_version, source->schema_version());
  CAPF_TRY(source->with_connection([&](SqlConnection& from) {
    return from.in_transaction(
        "reading the source registry",
        [&] {
          return target->with_connection([&](SqlConnection& to) {
            return to.in_transaction(
                "copying into the target registry", [&] { return copy_tables(from, to, report); },
                false);
          });
        },
        true);
  }));
  return report;
}

}  // namespace capf
