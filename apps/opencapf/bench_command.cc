// `opencapf bench`: the issuance benchmark (bench/issuance_bench.h) from the command line.
#include <unistd.h>

#include <cstdio>

#include "apps/opencapf/cli_util.h"
#include "bench/issuance_bench.h"

namespace capf::cli {

void add_bench_command(CLI::App& app, CommandContext& ctx) {
  struct Opts {
    int sessions = 2000, concurrency = 64, hold = 10000, hold_wave = 500, client_threads = 1,
        ceiling_seconds = 3;
    std::string phone_key = "ec:p256", capf_key = "rsa:2048", work;
    bool json = false;
  };
  auto c = add_command_without_data<Opts>(
      app, "bench",
      "benchmark: a real server on loopback, simulated phones with pre-generated keys, and this "
      "machine's signing ceiling measured in the same run");
  Opts& o = *c.opts;
  c->add_option("--sessions", o.sessions, "install sessions (default 2000)");
  c->add_option("--concurrency", o.concurrency, "phones in flight (default 64)");
  c->add_option("--hold", o.hold,
                "sessions parked in key generation for the memory figure "
                "(default 10000; 0 skips)");
  c->add_option("--hold-wave", o.hold_wave,
                "held phones connect in waves of this many (default 500)");
  c->add_option("--phone-key", o.phone_key, "key the phones present (default ec:p256)");
  c->add_option("--capf-key", o.capf_key, "CAPF key (default rsa:2048)");
  c->add_option("--client-threads", o.client_threads, "threads driving the phones (default 1)");
  c->add_option("--ceiling-seconds", o.ceiling_seconds, "how long to measure signing (default 3)");
  c->add_option("--work", o.work, "keep the data directory and server log here");
  c.add_json();
  c.callback(ctx, [&ctx](const Opts& o) -> Status {
    bench::BenchOptions b;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
      return usage_error("cannot find the opencapf binary (/proc/self/exe)");
    b.opencapf = std::string(self, static_cast<std::size_t>(n));
    b.work_dir = o.work;
    if (o.sessions < 1 || o.concurrency < 1 || o.hold < 0 || o.client_threads < 1) {
      return usage_error(
          "--sessions, --concurrency and --client-threads must be at least 1, --hold at least 0");
    }
    b.sessions = o.sessions;
    b.concurrency = o.concurrency;
    b.hold = o.hold;
    b.hold_wave = std::max(1, o.hold_wave);
    b.client_threads = o.client_threads;
    b.ceiling_duration = std::chrono::seconds(std::max(1, o.ceiling_seconds));
    CAPF_ASSIGN_OR_RETURN(b.phone_key, parse_key_spec(o.phone_key));
    CAPF_ASSIGN_OR_RETURN(b.capf_key, parse_key_spec(o.capf_key));
    CAPF_ASSIGN_OR_RETURN(auto report, bench::run_issuance_bench(b));
    std::fputs((o.json ? bench::report_json(report) + "\n" : bench::format_report(report)).c_str(),
               stdout);
    if (report.succeeded != report.sessions)
      ctx.exit_code = 1;
    return ok();
  });
}

}  // namespace capf::cli
