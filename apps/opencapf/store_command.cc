// `opencapf store check`: verifies the registry's promises (see service/registry_check.h) and
// the database's own integrity; prints each problem and exits 1 when there is any.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "apps/opencapf/cli_util.h"
#include "capf/service/registry_check.h"

namespace capf::cli {

namespace {

std::string report_json(const RegistryCheckReport& report) {
  nlohmann::json problems = nlohmann::json::array();
  for (const RegistryProblem& p : report.problems) {
    problems.push_back(
        {{"kind", p.kind}, {"device", p.device}, {"serial", p.serial}, {"detail", p.detail}});
  }
  nlohmann::json j{{"ok", report.ok()},
                   {"devices", report.devices},
                   {"installed", report.installed},
                   {"requests", report.requests},
                   {"problems", problems}};
  return j.dump(2) + "\n";
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

}  // namespace

void add_store_command(CLI::App& app, CommandContext& ctx) {
  auto* store = app.add_subcommand("store", "the registry database itself");
  store->require_subcommand(1);
  auto* check = store->add_subcommand(
      "check",
      "verify the registry: database integrity, every installed LSC is its device's current one "
      "(one per device, the replaced ones revoked), no lost operation, sane requests; safe while "
      "the server runs. Exit 0 when sound, 1 when anything is wrong");
  struct Opts {
    std::string data;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  add_data_option(*check, o->data);
  check->add_flag("--json", o->json, "print JSON");
  check->callback([o, &ctx] {
    auto env = open_environment(ctx, o->data);
    if (!env)
      return;
    auto report = check_registry(env->registry());
    if (!report)
      return fail(ctx, report.error());
    std::fputs((o->json ? report_json(*report) : report_text(*report)).c_str(), stdout);
    if (!report->ok())
      ctx.exit_code = 1;
  });
}

}  // namespace capf::cli
