// Each subcommand lives in its own file and registers itself on the root CLI11 app. A command's
// callback sets `exit_code` (0 success; see each command's help for the others) and prints errors
// on stderr as one line that says what to type instead.
#pragma once

#include <CLI/CLI.hpp>

namespace capf::cli {

struct CommandContext {
  int exit_code = 0;
};

void add_init_command(CLI::App& app, CommandContext& ctx);
void add_serve_command(CLI::App& app, CommandContext& ctx);
void add_device_command(CLI::App& app, CommandContext& ctx);
void add_ca_command(CLI::App& app, CommandContext& ctx);
void add_trust_command(CLI::App& app, CommandContext& ctx);
void add_issuer_command(CLI::App& app, CommandContext& ctx);
void add_offline_command(CLI::App& app, CommandContext& ctx);
void add_cert_command(CLI::App& app, CommandContext& ctx);
void add_crl_command(CLI::App& app, CommandContext& ctx);
void add_phone_command(CLI::App& app, CommandContext& ctx);
void add_report_command(CLI::App& app, CommandContext& ctx);
void add_bench_command(CLI::App& app, CommandContext& ctx);
void add_admin_command(CLI::App& app, CommandContext& ctx);
void add_audit_command(CLI::App& app, CommandContext& ctx);
void add_store_command(CLI::App& app, CommandContext& ctx);
void add_itl_command(CLI::App& app, CommandContext& ctx);
void add_ctl_command(CLI::App& app, CommandContext& ctx);
void add_sgn_command(CLI::App& app, CommandContext& ctx);
void add_cluster_command(CLI::App& app, CommandContext& ctx);

}  // namespace capf::cli
