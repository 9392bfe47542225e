#include <unistd.h>

#include <cstdio>

#include "apps/opencapf/cli_util.h"
#include "bench/issuance_bench.h"

namespace capf::cli {

void add_bench_command(CLI::App& app, CommandContext& ctx) {
  auto* cmd = app.add_subcommand(
      "bench",
      "benchmark: a real server on loopback, simulated phones with pre-generated keys, and this "
      "machine's signing ceiling measured in the same run");
  struct Opts {
    int sessions = 2000, concurrency = 64, hold = 10000, hold_wave = 500, client_threads = 1,
        ceiling_seconds = 3;
    std::string phone_key = "ec:p256", capf_key = "rsa:2048", work;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  cmd->add_option("--sessions", o->sessions, "install sessions (default 2000)");
  cmd->add_option("--concurrency", o->concurrency, "phones in flight (default 64)");
  cmd->add_option("--hold", o->hold,
                  "sessions parked in key generation for the memory figure "
                  "(default 10000; 0 skips)");
  cmd->add_option("--hold-wave", o->hold_wave,
                  "held phones connect in waves of this many (default 500)");
  cmd->add_option("--phone-key", o->phone_key, "key the phones present (default ec:p256)");
  cmd->add_option("--capf-key", o->capf_key, "CAPF key (default rsa:2048)");
  cmd->add_option("--client-threads", o->client_threads, "threads driving the phones (default 1)");
  cmd->add_option("--ceiling-seconds", o->ceiling_seconds,
                  "how long to measure signing (default 3)");
  cmd->add_option("--work", o->work, "keep the data directory and server log here");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o, &ctx] {
    bench::BenchOptions b;
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
      return fail_usage(ctx, "cannot find the opencapf binary (/proc/self/exe)");
    b.opencapf = std::string(self, static_cast<std::size_t>(n));
    b.work_dir = o->work;
    if (o->sessions < 1 || o->concurrency < 1 || o->hold < 0 || o->client_threads < 1) {
      return fail_usage(ctx,
                        "--sessions, --concurrency and --client-threads must be at least 1, "
                        "--hold at least 0");
    }
    b.sessions = o->sessions;
    b.concurrency = o->concurrency;
    b.hold = o->hold;
    b.hold_wave = std::max(1, o->hold_wave);
    b.client_threads = o->client_threads;
    b.ceiling_duration = std::chrono::seconds(std::max(1, o->ceiling_seconds));
    auto pk = parse_key_spec(o->phone_key);
    if (!pk)
      return fail(ctx, pk.error());
    auto ck = parse_key_spec(o->capf_key);
    if (!ck)
      return fail(ctx, ck.error());
    b.phone_key = *pk;
    b.capf_key = *ck;
    auto report = bench::run_issuance_bench(b);
    if (!report)
      return fail(ctx, report.error());
    std::fputs(
        (o->json ? bench::report_json(*report) + "\n" : bench::format_report(*report)).c_str(),
        stdout);
    if (report->succeeded != report->sessions)
      ctx.exit_code = 1;
  });
}

}  // namespace capf::cli
