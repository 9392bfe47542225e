// `opencapf report capf|expiring`: CUCM's CAPF report and the expiring-LSC report, as CSV.
#include "apps/opencapf/cli_util.h"
#include "capf/service/capf_reports.h"

namespace capf::cli {

namespace {

void add_capf(CLI::App& report, CommandContext& ctx) {
  auto* cmd = report.add_subcommand(
      "capf",
      "every device: operation, authentication, status and LSC (CSV, like CUCM's CAPF "
      "Report in File)");
  struct Opts {
    std::string data, out;
  };
  auto o = std::make_shared<Opts>();
  add_data_option(*cmd, o->data);
  cmd->add_option("--out", o->out, "file to write (default: standard output)");
  cmd->callback([o, &ctx] {
    auto env = open_environment(ctx, o->data);
    if (!env)
      return;
    CapfReports reports(env->registry(), env->clock());
    Status written =
        write_output(o->out, [&](const OutputSink& sink) { return reports.capf_report(sink); });
    if (!written)
      return fail(ctx, written.error());
  });
}

void add_expiring(CLI::App& report, CommandContext& ctx) {
  auto* cmd = report.add_subcommand(
      "expiring", "devices whose LSC expires within --days days, soonest first (CSV)");
  struct Opts {
    std::string data, out;
    int days = 30;
  };
  auto o = std::make_shared<Opts>();
  add_data_option(*cmd, o->data);
  cmd->add_option("--days", o->days, "expiring within this many days (0 to 36500)")->required();
  cmd->add_option("--out", o->out, "file to write (default: standard output)");
  cmd->callback([o, &ctx] {
    if (o->days < 0 || o->days > 36500)
      return fail_usage(ctx, "--days must be 0 to 36500, e.g. --days 30");
    auto env = open_environment(ctx, o->data);
    if (!env)
      return;
    CapfReports reports(env->registry(), env->clock());
    Status written = write_output(
        o->out, [&](const OutputSink& sink) { return reports.expiring_report(o->days, sink); });
    if (!written)
      return fail(ctx, written.error());
  });
}

}  // namespace

void add_report_command(CLI::App& app, CommandContext& ctx) {
  auto* report = app.add_subcommand("report", "CAPF reports as CSV (see docs/bulk-and-reports.md)");
  report->require_subcommand(1);
  add_capf(*report, ctx);
  add_expiring(*report, ctx);
}

}  // namespace capf::cli
