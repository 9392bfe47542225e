// opencapf: one binary, one subcommand per task (init, serve, device, ca, trust, issuer, offline,
// phone, report, bench, admin, audit, store, cluster).
#include <sys/stat.h>

#include <cstdio>

#include <CLI/CLI.hpp>

#include "apps/opencapf/commands.h"

int main(int argc, char** argv) {
  // Every file opencapf creates (registry.db and its journal, keys, exports) is for its owner
  // only: SQLite and fopen ask for 0644 and the keys must never be readable by others.
  ::umask(077);
  CLI::App app{"opencapf: an open-source Certificate Authority Proxy Function for Cisco phones",
               "opencapf"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "opencapf 0.1.0");
  capf::cli::CommandContext ctx;
  capf::cli::add_init_command(app, ctx);
  capf::cli::add_serve_command(app, ctx);
  capf::cli::add_device_command(app, ctx);
  capf::cli::add_ca_command(app, ctx);
  capf::cli::add_trust_command(app, ctx);
  capf::cli::add_issuer_command(app, ctx);
  capf::cli::add_offline_command(app, ctx);
  capf::cli::add_cert_command(app, ctx);
  capf::cli::add_crl_command(app, ctx);
  capf::cli::add_phone_command(app, ctx);
  capf::cli::add_report_command(app, ctx);
  capf::cli::add_bench_command(app, ctx);
  capf::cli::add_admin_command(app, ctx);
  capf::cli::add_audit_command(app, ctx);
  capf::cli::add_store_command(app, ctx);
  capf::cli::add_itl_command(app, ctx);
  capf::cli::add_ctl_command(app, ctx);
  capf::cli::add_sgn_command(app, ctx);
  capf::cli::add_cluster_command(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line that names the problem and where to look, rather than the whole help page.
    std::fprintf(stderr, "opencapf: %s\n", e.what());
    std::fprintf(stderr, "run `opencapf %s--help` for the options\n",
                 app.get_subcommands().empty()
                     ? ""
                     : (app.get_subcommands().front()->get_name() + " ").c_str());
    return 2;
  }
  return ctx.exit_code;
}
