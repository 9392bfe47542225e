#include "bench/issuance_bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <thread>
#include <tuple>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "bench/install_driver.h"
#include "bench/online_bench.h"
#include "bench/server_process.h"
#include "bench/store_bench.h"
#include "capf/pki/key.h"
#include "phone/phone_session.h"

namespace capf::bench {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

std::string machine_description() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return fmt::format("{}, {} cores", model, std::thread::hardware_concurrency());
}

// Raises this process's RLIMIT_NOFILE (the server inherits it) to at least `needed` descriptors,
// the hard limit too when allowed (root). The product's own defaults are not touched.
Status raise_fd_limit(rlim_t needed) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
    return make_error(ErrorCode::kIo, "getrlimit(RLIMIT_NOFILE) failed");
  if (rl.rlim_cur >= needed)
    return ok();
  rlimit want{std::max(needed, rl.rlim_cur), std::max(needed, rl.rlim_max)};
  if (setrlimit(RLIMIT_NOFILE, &want) == 0)
    return ok();
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur >= needed)
    return ok();
  return make_error(ErrorCode::kUnavailable,
                    "--parked needs {} file descriptors but RLIMIT_NOFILE allows {} (hard limit); "
                    "raise it (ulimit -Hn) or park fewer",
                    needed, rl.rlim_max);
}

// Private-key operations per second with a key like the CAPF key on `threads` threads: the work
// the server must do per install session (one TLS handshake signature, one LSC signature).
double sign_ops_per_second(const KeySpec& spec, std::chrono::seconds duration, unsigned threads) {
  auto key = pki::PrivateKey::generate(spec);
  if (!key)
    return 0;
  Bytes tbs(600, 0x5a);  // about the size of an LSC's to-be-signed part
  std::atomic<long> ops{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      long n = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        if (key->sign(pki::Hash::kSha256, tbs))
          ++n;
      }
      ops += n;
    });
  }
  auto started = Clock::now();
  std::this_thread::sleep_for(duration);
  stop = true;
  for (auto& w : workers)
    w.join();
  double secs = std::chrono::duration<double>(Clock::now() - started).count();
  return static_cast<double>(ops.load()) / secs;
}

// The timed install phase: throughput, latency, server CPU and memory.
void run_installs(const BenchOptions& o, asio::ssl::context& tls, const phone::PhoneOptions& base,
                  const ServerProcess& server, BenchReport& report) {
  EngineRun e = measured_installs(o, tls, base, server, "sqlite", 0, o.sessions);
  e.per_node.push_back(
      {"sqlite", e.succeeded, 1.0, e.server_cpu_seconds, e.server_cpu_ms_per_session});
  report.seconds = e.seconds;
  report.sessions = e.sessions;
  report.succeeded = e.succeeded;
  report.sessions_per_second = e.sessions_per_second;
  std::tie(report.p50_ms, report.p99_ms, report.max_ms) = std::tie(e.p50_ms, e.p99_ms, e.max_ms);
  report.server_cpu_seconds = e.server_cpu_seconds;
  report.server_cpu_ms_per_session = e.server_cpu_ms_per_session;
  report.phone_cpu_ms_per_session = e.phone_cpu_ms_per_session;
  report.server_peak_rss_mib = proc_kib(server.pid(), "VmHWM") / 1024.0;
  if (!o.store_url.empty())
    report.engines.push_back(std::move(e));
}

// Why fsyncs cannot be counted, or empty when they can.
std::string fsync_count_refusal(const BenchOptions& o) {
  if (o.fsync_sessions == 0)
    return "not asked (--fsync-sessions 0)";
  if (std::getenv("OPENCAPF_BENCH_SERVER_PREFIX") != nullptr)
    return "not counted under OPENCAPF_BENCH_SERVER_PREFIX";
  if (find_on_path("strace").empty())
    return "strace is not on PATH";
  return {};
}

// The fsync pass, untimed so that tracing does not touch the figures above: the server restarted
// on the same data directory under strace, `fsync_sessions` more installs at the same concurrency
// (concurrent sessions may share an fsync), their fsync/fdatasync calls counted.
Status count_fsyncs(const BenchOptions& o, asio::ssl::context& tls, phone::PhoneOptions base,
                    const std::filesystem::path& work, BenchReport& report) {
  if (std::string why = fsync_count_refusal(o); !why.empty()) {
    report.fsync_method = why;
    return ok();
  }
  CAPF_ASSIGN_OR_RETURN(base.port, free_port());
  ServerProcess traced;
  CAPF_TRY(traced.start(o.opencapf, work / "data", base.port, work / "server-strace.log",
                        work / "fsync.strace"));
  const long before = traced.fsyncs();
  Installs run = drive_installs(o, tls, base, {base.port}, o.sessions + o.parked, o.fsync_sessions);
  report.fsyncs = traced.fsyncs() - before;
  report.fsync_sessions = run.succeeded;
  if (run.succeeded > 0)
    report.fsyncs_per_session = static_cast<double>(report.fsyncs) / run.succeeded;
  report.fsync_method = fmt::format(
      "fsync + fdatasync calls of all server threads over {} more installs at the same "
      "concurrency, untimed, server under strace -f --seccomp-bpf",
      run.succeeded);
  return ok();
}

// The crypto ceiling, measured now, on the same machine, with the server idle.
void measure_ceiling(const BenchOptions& o, BenchReport& report) {
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  report.sign_ops_per_second = sign_ops_per_second(o.capf_key, o.ceiling_duration, cores);
  report.sign_ops_per_second_one_core = sign_ops_per_second(o.capf_key, o.ceiling_duration, 1);
  report.ceiling_sessions_per_second = report.sign_ops_per_second / report.sign_ops_per_session;
  auto ratio = [&](double sessions_per_second) {
    return report.ceiling_sessions_per_second > 0
               ? sessions_per_second / report.ceiling_sessions_per_second
               : 0;
  };
  report.ratio = ratio(report.sessions_per_second);
  for (auto* runs : {&report.engines, &report.online}) {
    for (EngineRun& e : *runs)
      e.ratio = ratio(e.sessions_per_second);
  }
  if (report.sign_ops_per_second_one_core > 0) {
    report.signing_ms_per_session =
        report.sign_ops_per_session * 1000.0 / report.sign_ops_per_second_one_core;
  }
  if (report.server_cpu_ms_per_session > 0 && report.signing_ms_per_session > 0) {
    report.server_signing_share = report.signing_ms_per_session / report.server_cpu_ms_per_session;
    report.cpu_over_crypto = report.server_cpu_ms_per_session / report.signing_ms_per_session;
    report.server_only_sessions_per_second = cores * 1000.0 / report.server_cpu_ms_per_session;
  }
}

// Parked phase: phones that sit in key generation (REQUEST_IN_PROGRESS every 10 s). They arrive in
// waves, as they do after a maintenance window opens: each wave is parked before the next
// connects, so the figure is the memory a parked connection keeps, not the transient peak of
// thousands of simultaneous handshakes.
void park_phones(const BenchOptions& o, asio::ssl::context& tls, const phone::PhoneOptions& base,
                 ServerProcess& server, BenchReport& report) {
  report.server_rss_before_parked_mib = proc_kib(server.pid(), "VmRSS") / 1024.0;
  asio::io_context io;
  std::vector<phone::PhoneState> states;
  states.reserve(static_cast<std::size_t>(o.parked));
  for (int i = 0; i < o.parked; ++i)
    states.push_back(phone::PhoneState::in_memory());
  std::atomic<int> parked{0}, ended{0};  // ended: sessions that finished instead of parking
  auto guard = asio::make_work_guard(io);
  std::thread client([&] { io.run(); });
  // Five minutes, and 3 ms more per phone (18,000 parked here in about 2 ms each).
  auto deadline = Clock::now() + std::chrono::minutes(5) + std::chrono::milliseconds(3) * o.parked;
  for (int first = 0; first < o.parked && Clock::now() < deadline; first += o.parked_wave) {
    int last_of_wave = std::min(o.parked, first + o.parked_wave);
    for (int i = first; i < last_of_wave; ++i) {
      phone::PhoneOptions opt = base;
      opt.device_name = device_name(o.sessions + i);
      opt.keygen_delay = std::chrono::minutes(10);
      // 10,000 phones per source address: one address has about 28,000 ports to connect from.
      opt.source_address = fmt::format("127.0.1.{}", 1 + i / 10000);
      opt.timeout = std::chrono::seconds(120);
      opt.on_generating = [&parked] { parked.fetch_add(1); };
      asio::co_spawn(
          io, phone::run_session(tls, opt, states[static_cast<std::size_t>(i)]),
          [&ended](const std::exception_ptr&, const phone::SessionReport&) { ended.fetch_add(1); });
    }
    while (Clock::now() < deadline && parked.load() + ended.load() < last_of_wave)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  double last = 0;
  for (int i = 0; i < 40; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    double now = proc_kib(server.pid(), "VmRSS");
    if (std::abs(now - last) < 256)
      break;
    last = now;
  }
  report.parked = parked.load();
  report.server_rss_parked_mib = proc_kib(server.pid(), "VmRSS") / 1024.0;
  if (report.parked > 0) {
    report.bytes_per_parked_connection =
        (report.server_rss_parked_mib - report.server_rss_before_parked_mib) * 1024.0 * 1024.0 /
        report.parked;
  }
  if (report.parked < o.parked) {
    report.notes.push_back(fmt::format(
        "only {} of {} phones parked ({} sessions ended instead; the server log says why)",
        report.parked, o.parked, ended.load()));
  }
  server.kill_now();
  guard.reset();
  io.stop();
  client.join();
}

}  // namespace

Status validate(const BenchOptions& o) {
  if (o.sessions < 1 || o.concurrency < 1 || o.client_threads < 1 || o.parked_wave < 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--sessions, --concurrency, --client-threads and --parked-wave must be at "
                      "least 1");
  }
  if (o.parked < 0 || o.fsync_sessions < 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--parked and --fsync-sessions must be at least 0");
  }
  // The servers' settings, checked against the settings table's ranges as `opencapf serve` will.
  if (Status valid = bench_server_config(o, 1).validate(); !valid) {
    return make_error(ErrorCode::kInvalidArgument, "--worker-threads: {}", valid.error().message);
  }
  for (auto [spec, flag] :
       {std::pair{&o.phone_key, "--phone-key"}, std::pair{&o.capf_key, "--capf-key"}}) {
    if (spec->type == KeyType::kRsa && spec->bits != 1024 && spec->bits != 2048 &&
        spec->bits != 3072 && spec->bits != 4096) {
      return make_error(ErrorCode::kInvalidArgument,
                        "{}: RSA key size {} is not one phones use: 1024, 2048, 3072 or 4096", flag,
                        spec->bits);
    }
  }
  if (o.ceiling_duration.count() < 1)
    return make_error(ErrorCode::kInvalidArgument, "--ceiling-seconds must be at least 1");
  CAPF_TRY(validate_online_options(o));
  return validate_store_options(o);
}

Result<BenchReport> run_issuance_bench(const BenchOptions& o) {
  CAPF_TRY(validate(o));
  // The baseline is SQLite whatever the caller's environment names: the PostgreSQL run takes its
  // database from --store alone.
  ::unsetenv("OPENCAPF_STORE");
  if (!o.store_url.empty())
    CAPF_TRY(check_store(o.store_url));
  CAPF_TRY(raise_fd_limit(static_cast<rlim_t>(o.parked) + o.concurrency + 1024));
  BenchReport report;
  report.machine = machine_description();
  report.concurrency = o.concurrency;
  report.phone_key = to_string(o.phone_key);
  report.capf_key = to_string(o.capf_key);
  report.data_on = to_string(o.data_on);

  CAPF_ASSIGN_OR_RETURN(std::filesystem::path work, make_work_dir(o.data_on, o.work_dir));
  struct Cleanup {
    std::filesystem::path dir;
    bool remove;
    ~Cleanup() {
      std::error_code ec;
      if (remove)
        std::filesystem::remove_all(dir, ec);
    }
  } cleanup{work, o.work_dir.empty()};
  CAPF_ASSIGN_OR_RETURN(report.data_filesystem, filesystem_type(work));

  std::filesystem::path data = work / "data";
  // The server may hold every parked phone at once.
  CAPF_ASSIGN_OR_RETURN(
      pki::Certificate capf,
      make_server_data(o, data, bench_server_config(o, o.parked + o.concurrency + 1000),
                       "CN=CAPF-bench,O=opencapf bench", o.sessions + o.parked + o.fsync_sessions));

  CAPF_ASSIGN_OR_RETURN(std::uint16_t port, free_port());
  ServerProcess server;
  CAPF_TRY(server.start(o.opencapf, data, port, work / "server.log", {}));

  // Pre-generated phone keys, reused round-robin: the benchmark measures the server, not keygen.
  std::vector<pki::PrivateKey> keys;
  for (int i = 0; i < std::min(64, o.sessions + o.parked + o.fsync_sessions); ++i) {
    CAPF_ASSIGN_OR_RETURN(auto k, pki::PrivateKey::generate(o.phone_key));
    keys.push_back(std::move(k));
  }
  std::atomic<std::size_t> next_key{0};

  phone::PhoneOptions base;
  base.host = "127.0.0.1";
  base.port = port;
  base.server_trust = {capf};
  base.timeout = std::chrono::seconds(60);
  base.send_sudi = false;
  base.describe_messages = false;
  base.key_source = [&](const KeySpec&) -> std::optional<pki::PrivateKey> {
    return keys[next_key.fetch_add(1) % keys.size()];
  };
  CAPF_ASSIGN_OR_RETURN(auto tls, phone::make_phone_tls_context(base));

  run_installs(o, *tls, base, server, report);
  if (!o.store_url.empty())
    CAPF_TRY(run_store_installs(o, base, work, report));
  if (o.ca_delay_ms >= 0)
    CAPF_TRY(run_online_installs(o, base, work, report));
  measure_ceiling(o, report);
  if (o.parked > 0)
    park_phones(o, *tls, base, server, report);
  server.kill_now();
  CAPF_TRY(count_fsyncs(o, *tls, base, work, report));
  report.notes.push_back(
      "client and server share the machine: the simulated phones' TLS work runs on the same cores");
  return report;
}

}  // namespace capf::bench
