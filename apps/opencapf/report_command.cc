// `opencapf report capf|expiring`: CUCM's CAPF report and the expiring-LSC report, as CSV.
#include "apps/opencapf/cli_util.h"
#include "capf/service/capf_reports.h"

namespace capf::cli {

namespace {

struct Opts : DataOptions {
  std::string out;
  int days = 30;
};

void add_capf(CLI::App& report, CommandContext& ctx) {
  auto c = add_command<Opts>(
      report, "capf",
      "every device: operation, authentication, status and LSC (CSV, like CUCM's CAPF "
      "Report in File)");
  c->add_option("--out", c.opts->out, "file to write (default: standard output)");
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    CapfReports reports(env.registry(), env.clock());
    return write_output(o.out, [&](const OutputSink& sink) { return reports.capf_report(sink); });
  });
}

void add_expiring(CLI::App& report, CommandContext& ctx) {
  auto c = add_command<Opts>(report, "expiring",
                             "devices whose LSC expires within --days days, soonest first (CSV)");
  c->add_option("--days", c.opts->days, "expiring within this many days (0 to 36500)")->required();
  c->add_option("--out", c.opts->out, "file to write (default: standard output)");
  c.callback(ctx, [](const Opts& o) -> Status {
    if (o.days < 0 || o.days > 36500)
      return usage_error("--days must be 0 to 36500, e.g. --days 30");
    CAPF_ASSIGN_OR_RETURN(auto env, Environment::open(o.data));
    CapfReports reports(env->registry(), env->clock());
    return write_output(
        o.out, [&](const OutputSink& sink) { return reports.expiring_report(o.days, sink); });
  });
}

}  // namespace

void add_report_command(CLI::App& app, CommandContext& ctx) {
  add_group(app, ctx, "report", "CAPF reports as CSV (see docs/bulk-and-reports.md)",
            {add_capf, add_expiring});
}

}  // namespace capf::cli
