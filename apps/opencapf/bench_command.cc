// `opencapf bench`: the issuance benchmark (bench/issuance_bench.h) from the command line.
#include <unistd.h>

#include <cctype>
#include <cstdio>

#include "apps/opencapf/cli_util.h"
#include "bench/issuance_bench.h"

namespace capf::cli {

namespace {

struct BenchOpts {
  int sessions = 2000, concurrency = 64, parked = 10000, parked_wave = 500, client_threads = 1,
      ceiling_seconds = 3, fsync_sessions = 200, nodes = 1, ca_delay_ms = -1, ca_sessions = 64,
      ca_concurrency = 32, worker_threads = 0;
  std::string phone_key = "rsa:2048", capf_key = "rsa:2048", data_on = "disk", work, store;
  bool json = false;
};

// The benchmark's options from the command line's, or a usage error naming what is wrong.
Result<bench::BenchOptions> bench_options(const BenchOpts& o) {
  bench::BenchOptions b;
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0)
    return usage_error("cannot find the opencapf binary (/proc/self/exe)");
  b.opencapf = std::string(self, static_cast<std::size_t>(n));
  b.work_dir = o.work;
  b.sessions = o.sessions;
  b.concurrency = o.concurrency;
  b.parked = o.parked;
  b.parked_wave = o.parked_wave;
  b.client_threads = o.client_threads;
  b.worker_threads = o.worker_threads;
  b.ceiling_duration = std::chrono::seconds(o.ceiling_seconds);
  b.fsync_sessions = o.fsync_sessions;
  b.store_url = o.store;
  b.nodes = o.nodes;
  b.ca_delay_ms = o.ca_delay_ms;
  b.ca_sessions = o.ca_sessions;
  b.ca_concurrency = o.ca_concurrency;
  auto data_on = bench::parse_data_on(o.data_on);
  if (!data_on)
    return usage_error(data_on.error().message);
  b.data_on = *data_on;
  for (auto [text, spec, flag] : {std::tuple{&o.phone_key, &b.phone_key, "--phone-key"},
                                  std::tuple{&o.capf_key, &b.capf_key, "--capf-key"}}) {
    // "ec:256" is accepted for "ec:p256", as the curve's size like "rsa:2048".
    std::string name = *text;
    if (name.rfind("ec:", 0) == 0 && name.size() > 3 &&
        std::isdigit(static_cast<unsigned char>(name[3])))
      name.insert(3, "p");
    auto parsed = parse_key_spec(name);
    if (!parsed)
      return usage_error(fmt::format("{}: {}", flag, parsed.error().message));
    *spec = *parsed;
  }
  if (Status valid = bench::validate(b); !valid)
    return usage_error(valid.error().message);
  return b;
}

}  // namespace

void add_bench_command(CLI::App& app, CommandContext& ctx) {
  auto c = add_command_without_data<BenchOpts>(
      app, "bench",
      "benchmark: a real server on loopback, simulated phones with pre-generated keys, and this "
      "machine's signing ceiling measured in the same run");
  BenchOpts& o = *c.opts;
  c->add_option("--sessions", o.sessions, "install sessions (default 2000)");
  c->add_option("--concurrency", o.concurrency, "phones in flight (default 64)");
  c->add_option("--parked,--hold", o.parked,
                "connections parked in key generation for the memory figure "
                "(default 10000; 0 skips)");
  c->add_option("--parked-wave,--hold-wave", o.parked_wave,
                "parked phones connect in waves of this many (default 500)");
  c->add_option("--phone-key", o.phone_key,
                "key the phones present: rsa:BITS or ec:p256|p384|p521 (default rsa:2048)");
  c->add_option("--capf-key", o.capf_key, "CAPF key (default rsa:2048)");
  c->add_option("--data-on", o.data_on,
                "data directory on disk (default, under /var/tmp) or tmpfs (under /dev/shm)");
  c->add_option("--fsync-sessions", o.fsync_sessions,
                "installs of the untimed pass that counts fsyncs with the server under strace "
                "(default 200; 0 skips)");
  c->add_option("--client-threads", o.client_threads, "threads driving the phones (default 1)");
  c->add_option("--worker-threads", o.worker_threads,
                "the servers' [server] worker_threads (default 0: the product's default)");
  c->add_option("--ceiling-seconds", o.ceiling_seconds, "how long to measure signing (default 3)");
  c->add_option("--work", o.work, "keep the data directory and server log here");
  c->add_option("--store", o.store,
                "an empty PostgreSQL database (postgresql://USER@HOST:PORT/DB, no password: "
                "libpq's passfile or PGPASSFILE): the install phase runs again with the registry "
                "there, after the SQLite baseline");
  c->add_option("--nodes", o.nodes,
                "with --store: opencapf serve processes on the database, phones round robin over "
                "them (1..3, default 1; more than 1 runs one node first)");
  c->add_option("--ca-delay-ms", o.ca_delay_ms,
                "online phase: installs through a real cfssl serve over HTTPS, answering at once "
                "and then this many milliseconds later (0..10000; not given: no online phase)");
  c->add_option("--ca-sessions", o.ca_sessions, "installs in each online run (default 64)");
  c->add_option("--ca-concurrency", o.ca_concurrency,
                "phones at once in the online runs (default 32)");
  c.add_json();
  c.callback(ctx, [&ctx](const BenchOpts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto b, bench_options(o));
    CAPF_ASSIGN_OR_RETURN(auto report, bench::run_issuance_bench(b));
    std::fputs((o.json ? bench::report_json(report) + "\n" : bench::format_report(report)).c_str(),
               stdout);
    bool all = report.succeeded == report.sessions;
    for (const auto& e : report.engines)
      all = all && e.succeeded == e.sessions;
    if (!all)
      ctx.exit_code = 1;
    return ok();
  });
}

}  // namespace capf::cli
