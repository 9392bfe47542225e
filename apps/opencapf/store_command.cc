// `opencapf store check`: verifies the registry's promises (see service/registry_check.h) and
// the database's own integrity; prints each problem and exits 1 when there is any.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "apps/opencapf/cli_util.h"
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

}  // namespace

void add_store_command(CLI::App& app, CommandContext& ctx) {
  add_group(app, ctx, "store", "the registry database itself", {add_check});
}

}  // namespace capf::cli
