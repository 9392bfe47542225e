#include <sys/resource.h>
#include <systemd/sd-daemon.h>

#include <csignal>
#include <cstdio>
#include <ctime>

#include <spdlog/spdlog.h>

#include "apps/opencapf/cli_util.h"
#include "capf/daemon/daemon.h"

namespace capf::cli {
namespace {

// SIGHUP (`systemctl reload opencapf`): applies a changed [issuer] configuration, trust stores and
// CAPF certificate files now instead of at the next one-second check; the other settings (listen
// addresses, limits, timeouts, the admin API, logging) apply at the next start. Tells systemd
// (Type=notify) that a reload runs and when it is done; sd_notify does nothing outside systemd.
void reload(Daemon& daemon) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%lld",
             static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000);
  const bool issuer = daemon.reload_issuer();
  const bool identity = daemon.reload_identity();
  spdlog::info("reload (SIGHUP): issuer {}, CAPF identity {}; other settings apply at restart",
               issuer ? "rebuilt" : "unchanged", identity ? "replaced" : "unchanged");
  sd_notify(0, "READY=1");
}

}  // namespace

void add_serve_command(CLI::App& app, CommandContext& ctx) {
  auto* cmd = app.add_subcommand(
      "serve", "serve phones on the CAPF port (an empty data directory is initialised first)");
  struct Opts {
    std::string data;
    std::vector<std::string> listen;
    std::optional<int> max_sessions;
    std::optional<std::string> admin;
  };
  auto opts = std::make_shared<Opts>();
  add_data_option(*cmd, opts->data);
  cmd->add_option("--listen", opts->listen,
                  "HOST:PORT to listen on, repeatable (default from opencapf.toml, "
                  "127.0.0.1:3804); [::]:3804 for IPv6");
  cmd->add_option("--max-sessions", opts->max_sessions, "concurrent session cap");
  cmd->add_option("--admin", opts->admin,
                  "HOST:PORT of the admin REST API over HTTPS (default from [admin] listen in "
                  "opencapf.toml; off when empty); port 0 picks a free port");
  cmd->callback([opts, &ctx] {
    if (!Environment::is_initialised(opts->data)) {
      auto report = Environment::init(opts->data, InitOptions{});
      if (!report)
        return fail(ctx, report.error());
      std::fprintf(stderr, "opencapf: initialised %s with a new CAPF certificate %s\n",
                   opts->data.c_str(), report->subject.c_str());
    }
    auto env = open_environment(ctx, opts->data);
    if (!env)
      return;
    (void)init_logging(env->config().log);
    // Every phone session holds a socket: allow as many as the system lets this process have.
    rlimit files{};
    if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
      files.rlim_cur = files.rlim_max;
      setrlimit(RLIMIT_NOFILE, &files);
    }
    DaemonOverrides overrides{opts->listen, opts->max_sessions, opts->admin};
    auto daemon = Daemon::create(*env, overrides);
    if (!daemon)
      return fail(ctx, daemon.error());

    // SIGINT/SIGTERM/SIGHUP are taken synchronously by this thread; the server threads never see
    // them.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);

    Status started = (*daemon)->start();
    if (!started)
      return fail(ctx, started.error());
    const auto& options = (*daemon)->server_options();
    auto ports = (*daemon)->ports();
    for (std::size_t i = 0; i < ports.size(); ++i) {
      spdlog::info("opencapf serving phones on {}:{} (CAPF certificate {}, mode capf)",
                   options.listen[i].host, ports[i], (*daemon)->identity().certificate.subject());
    }
    sd_notify(0, "READY=1");  // every listener is open
    int sig = 0;
    while (sigwait(&signals, &sig) == 0 && sig == SIGHUP)
      reload(**daemon);
    spdlog::info("signal {}: stopping", sig);
    sd_notify(0, "STOPPING=1");
    (*daemon)->stop();
    auto c = (*daemon)->counters();
    spdlog::info("stopped after {} connections ({} refused over the session cap)", c.accepted,
                 c.refused_over_cap);
  });
}

}  // namespace capf::cli
