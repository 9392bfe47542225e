// `opencapf store check`: verifies the registry's promises (see service/registry_check.h) and
// the database's own integrity; prints each problem and exits 1 when there is any.
// `opencapf store migrate`: copies a single-node SQLite registry into an empty PostgreSQL database
// (store/registry_copy.h) and prints the rows of every table on both sides.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "apps/opencapf/cli_util.h"
#include "capf/config/config.h"
#include "capf/daemon/registry_copy.h"
#include "capf/service/registry_check.h"

namespace capf::cli {

namespace {

nlohmann::json report_json(const RegistryCheckReport& report) {
  return {
      {"ok", report.ok()},
      {"devices", report.devices},
      {"installed", report.installed},
      {"requests", report.requests},
      {"problems", json_array(report.problems, [](const RegistryProblem& p) {
         return nlohmann::json{
             {"kind", p.kind}, {"device", p.device}, {"serial", p.serial}, {"detail", p.detail}};
       })}};
}

std::string report_text(const RegistryCheckReport& report) {
  std::string text;
  for (const RegistryProblem& p : report.problems) {
    text += fmt::format("{}: {}{}: {}\n", p.kind, p.device.empty() ? "registry" : p.device,
                        p.serial.empty() ? "" : " serial " + p.serial, p.detail);
  }
  text += fmt::format(
      "{} device(s), {} installed LSC(s), {} request(s): {}\n", report.devices, report.installed,
      report.requests,
      report.ok() ? "registry OK" : fmt::format("{} problem(s)", report.problems.size()));
  return text;
}

void add_check(CLI::App& store, CommandContext& ctx) {
  auto c = add_command(
      store, "check",
      "verify the registry: database integrity, every installed LSC is its device's current one "
      "(one per device, the replaced ones revoked), no lost operation, sane requests; safe while "
      "the server runs. Exit 0 when sound, 1 when anything is wrong");
  c.add_json();
  c.with_environment(ctx, [&ctx](Environment& env, const DataOptions& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto report, check_registry(env.registry()));
    if (!report.ok())
      ctx.exit_code = 1;
    if (o.json)
      return print_json(report_json(report));
    std::fputs(report_text(report).c_str(), stdout);
    return ok();
  });
}

struct MigrateOptions {
  std::string from;
  std::string to;
  std::string password_file;
  bool json = false;
};

nlohmann::json migration_json(const RegistryMigrationReport& report) {
  return {{"source_schema_version", report.source_version_before},
          {"schema_version", report.schema_version},
          {"tables", json_array(report.tables, [](const CopiedTable& t) {
             return nlohmann::json{
                 {"table", t.name}, {"source_rows", t.source_rows}, {"target_rows", t.target_rows}};
           })}};
}

std::string migration_text(const std::string& source, const std::string& url,
                           const RegistryMigrationReport& report) {
  std::string text =
      fmt::format("source {}: schema version {}{}\n", source, report.source_version_before,
                  report.source_version_before == report.schema_version
                      ? " (current, no migration needed)"
                      : fmt::format(", brought up to {} by its migrations", report.schema_version));
  text += fmt::format("target {}: was empty, schema version {}\n", url, report.schema_version);
  text += fmt::format("{:<22} {:>10} {:>10}\n", "table", "source", "target");
  for (const CopiedTable& t : report.tables) {
    text += fmt::format("{:<22} {:>10} {:>10}\n", t.name, t.source_rows, t.target_rows);
  }
  text += fmt::format(
      "registry copied in one transaction, every count verified. The CAPF identity files are not "
      "in the registry: start a node with --store {} to publish the identity "
      "(docs/cluster.md)\n",
      url);
  return text;
}

void add_migrate(CLI::App& store, CommandContext& ctx) {
  auto c = add_command_without_data<MigrateOptions>(
      store, "migrate",
      "copy a single-node SQLite registry (devices, ledger, history, trust, requests, tokens, "
      "audit, counters, settings) into an empty PostgreSQL database in one transaction and verify "
      "every table's row count. Opening the source brings its schema up to date first; stop the "
      "server that uses it");
  c->add_option("--from", c.opts->from, "the data directory of the single-node opencapf")
      ->required();
  c->add_option("--to", c.opts->to,
                "the empty PostgreSQL database: postgresql://USER@HOST:PORT/DATABASE, without a "
                "password")
      ->required();
  c->add_option("--password-file", c.opts->password_file,
                "a file whose first line is the PostgreSQL password (default: libpq's "
                "PGPASSFILE or ~/.pgpass)");
  c.add_json();
  c.callback(ctx, [](const MigrateOptions& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(Config config, Config::load(o.from));
    const std::string source = config.path_in_data(config.store.sqlite_path).string();
    SystemClock clock;
    CAPF_ASSIGN_OR_RETURN(auto report, migrate_registry({source, o.to, o.password_file}, clock));
    if (o.json)
      return print_json(migration_json(report));
    std::fputs(migration_text(source, o.to, report).c_str(), stdout);
    return ok();
  });
}

}  // namespace

void add_store_command(CLI::App& app, CommandContext& ctx) {
  add_group(app, ctx, "store", "the registry database itself", {add_check, add_migrate});
}

}  // namespace capf::cli
