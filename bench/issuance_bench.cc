#include "bench/issuance_bench.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <nlohmann/json.hpp>

#include "capf/daemon/environment.h"
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

// A /proc/<pid>/status field in KiB (VmRSS, VmHWM), or 0.
double proc_kib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0)
      return std::stod(line.substr(field.size() + 1));
  }
  return 0;
}

// User + system CPU seconds a process has used so far (/proc/<pid>/stat fields 14 and 15).
double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos)
    return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14)
      utime = std::stod(field);
    if (i == 15)
      stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

void raise_fd_limit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

Result<std::uint16_t> free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

std::string device_name(int i) {
  return fmt::format("SEPBE{:010X}", i);
}

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  std::size_t idx = std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5));
  return v[idx];
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

class ServerProcess {
 public:
  ~ServerProcess() { kill_now(); }
  Status start(const std::filesystem::path& binary, const std::filesystem::path& data,
               std::uint16_t port, const std::filesystem::path& log) {
    pid_ = fork();
    if (pid_ < 0)
      return make_error(ErrorCode::kIo, "fork failed");
    if (pid_ == 0) {
      int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        dup2(fd, 2);
        dup2(fd, 1);
      }
      std::string listen = fmt::format("127.0.0.1:{}", port);
      // OPENCAPF_BENCH_SERVER_PREFIX runs the server under a profiler, e.g. "heaptrack" or
      // "perf record -g --": its words come before the opencapf command line.
      std::vector<std::string> words;
      if (const char* prefix = std::getenv("OPENCAPF_BENCH_SERVER_PREFIX")) {
        std::istringstream in(prefix);
        for (std::string w; in >> w;)
          words.push_back(w);
      }
      for (const char* w :
           {binary.c_str(), "serve", "--data", data.c_str(), "--listen", listen.c_str()}) {
        words.emplace_back(w);
      }
      std::vector<char*> argv;
      for (auto& w : words)
        argv.push_back(w.data());
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    // Ready when it accepts a TCP connection.
    for (int i = 0; i < 200; ++i) {
      asio::io_context io;
      asio::ip::tcp::socket s(io);
      boost::system::error_code ec;
      s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
      if (!ec)
        return ok();
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return make_error(ErrorCode::kUnavailable, "the server exited at start; see {}",
                          log.string());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return make_error(ErrorCode::kTimeout, "the server did not start listening; see {}",
                      log.string());
  }
  pid_t pid() const { return pid_; }
  void kill_now() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
    }
  }

 private:
  pid_t pid_ = -1;
};

}  // namespace

Result<BenchReport> run_issuance_bench(const BenchOptions& o) {
  raise_fd_limit();
  BenchReport report;
  report.machine = machine_description();
  report.concurrency = o.concurrency;
  report.phone_key = to_string(o.phone_key);
  report.capf_key = to_string(o.capf_key);

  std::filesystem::path work = o.work_dir;
  bool remove_work = false;
  if (work.empty()) {
    char tmpl[] = "/tmp/opencapf-bench.XXXXXX";
    if (mkdtemp(tmpl) == nullptr)
      return make_error(ErrorCode::kIo, "cannot create a temp dir");
    work = tmpl;
    remove_work = true;
  }
  struct Cleanup {
    std::filesystem::path dir;
    bool remove;
    ~Cleanup() {
      std::error_code ec;
      if (remove)
        std::filesystem::remove_all(dir, ec);
    }
  } cleanup{work, remove_work};

  // A data directory with enough sessions allowed for the hold phase.
  std::filesystem::path data = work / "data";
  std::filesystem::create_directories(data);
  {
    std::ofstream toml(data / "opencapf.toml");
    toml << "[server]\nmax_sessions = " << (o.hold + o.concurrency + 1000) << "\n"
         << "[log]\nlevel = \"warn\"\n";
  }
  InitOptions init_options;
  init_options.key = o.capf_key;
  init_options.subject = "CN=CAPF-bench,O=opencapf bench";
  init_options.days = 365;
  auto init = Environment::init(data, init_options);
  if (!init)
    return init.error();
  std::optional<pki::Certificate> capf;
  {
    auto env = Environment::open(data);
    if (!env)
      return env.error();
    auto id = (*env)->load_identity();
    if (!id)
      return id.error();
    capf = id->certificate;
    // One transaction for all the devices: provisioning is not what is measured.
    Status provisioned = (*env)->registry().transact([&]() -> Status {
      for (int i = 0; i < o.sessions + o.hold; ++i) {
        DeviceChange c;
        c.name = device_name(i);
        c.operation = Operation::kInstall;
        c.auth_mode = AuthMode::kNullString;
        c.key_order = o.phone_key.type == KeyType::kEc ? KeyOrder::kEcOnly : KeyOrder::kRsaOnly;
        if (o.phone_key.type == KeyType::kEc) {
          c.ec_bits = o.phone_key.bits;
        } else {
          c.rsa_bits = o.phone_key.bits;
        }
        CAPF_TRY((*env)->admin().set_device(c, "bench"));
      }
      return ok();
    });
    if (!provisioned)
      return provisioned.error();
  }

  CAPF_ASSIGN_OR_RETURN(std::uint16_t port, free_port());
  ServerProcess server;
  CAPF_TRY(server.start(o.opencapf, data, port, work / "server.log"));

  // Pre-generated phone keys, reused round-robin: the benchmark measures the server, not keygen.
  std::vector<pki::PrivateKey> keys;
  for (int i = 0; i < 64; ++i) {
    auto k = pki::PrivateKey::generate(o.phone_key);
    if (!k)
      return k.error();
    keys.push_back(*k);
  }
  std::atomic<std::size_t> next_key{0};

  phone::PhoneOptions base;
  base.host = "127.0.0.1";
  base.port = port;
  base.server_trust = {*capf};
  base.timeout = std::chrono::seconds(60);
  base.send_sudi = false;
  base.key_source = [&](const KeySpec&) -> std::optional<pki::PrivateKey> {
    return keys[next_key.fetch_add(1) % keys.size()];
  };
  CAPF_ASSIGN_OR_RETURN(auto tls, phone::make_phone_tls_context(base));

  // Install phase: `concurrency` workers each run sessions back to back.
  std::vector<double> latencies_ms(static_cast<std::size_t>(o.sessions), -1);
  std::atomic<int> next{0}, succeeded{0};
  {
    asio::io_context io;
    for (int w = 0; w < o.concurrency; ++w) {
      asio::co_spawn(
          io,
          [&]() -> asio::awaitable<void> {
            while (true) {
              int i = next.fetch_add(1);
              if (i >= o.sessions)
                co_return;
              phone::PhoneOptions opt = base;
              opt.device_name = device_name(i);
              auto state = phone::PhoneState::in_memory();
              auto t0 = Clock::now();
              phone::SessionReport r = co_await phone::run_session(*tls, opt, state);
              latencies_ms[static_cast<std::size_t>(i)] =
                  std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
              if (r.exit_code == 0)
                succeeded.fetch_add(1);
            }
          },
          asio::detached);
    }
    const double server_cpu_before = cpu_seconds(server.pid());
    auto t0 = Clock::now();
    std::vector<std::thread> threads;
    for (int t = 1; t < o.client_threads; ++t)
      threads.emplace_back([&] { io.run(); });
    io.run();
    for (auto& t : threads)
      t.join();
    report.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    report.server_cpu_seconds = cpu_seconds(server.pid()) - server_cpu_before;
  }
  report.sessions = o.sessions;
  report.succeeded = succeeded.load();
  report.sessions_per_second = report.succeeded / report.seconds;
  std::vector<double> ok_latencies;
  for (double l : latencies_ms) {
    if (l >= 0)
      ok_latencies.push_back(l);
  }
  report.p50_ms = percentile(ok_latencies, 0.50);
  report.p99_ms = percentile(ok_latencies, 0.99);
  report.max_ms =
      ok_latencies.empty() ? 0 : *std::max_element(ok_latencies.begin(), ok_latencies.end());
  report.server_peak_rss_mib = proc_kib(server.pid(), "VmHWM") / 1024.0;

  // The crypto ceiling, measured now, on the same machine, with the server idle.
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  report.sign_ops_per_second = sign_ops_per_second(o.capf_key, o.ceiling_duration, cores);
  report.sign_ops_per_second_one_core = sign_ops_per_second(o.capf_key, o.ceiling_duration, 1);
  report.ceiling_sessions_per_second = report.sign_ops_per_second / report.sign_ops_per_session;
  report.ratio = report.ceiling_sessions_per_second > 0
                     ? report.sessions_per_second / report.ceiling_sessions_per_second
                     : 0;
  if (report.succeeded > 0 && report.sign_ops_per_second_one_core > 0) {
    report.server_cpu_ms_per_session = report.server_cpu_seconds * 1000.0 / report.succeeded;
    report.signing_ms_per_session =
        report.sign_ops_per_session * 1000.0 / report.sign_ops_per_second_one_core;
    report.server_signing_share = report.signing_ms_per_session / report.server_cpu_ms_per_session;
    report.server_only_sessions_per_second = cores * 1000.0 / report.server_cpu_ms_per_session;
  }

  // Hold phase: phones that sit in key generation (REQUEST_IN_PROGRESS every 10 s).
  if (o.hold > 0) {
    report.server_rss_before_hold_mib = proc_kib(server.pid(), "VmRSS") / 1024.0;
    asio::io_context io;
    std::vector<phone::PhoneState> states;
    states.reserve(static_cast<std::size_t>(o.hold));
    for (int i = 0; i < o.hold; ++i)
      states.push_back(phone::PhoneState::in_memory());
    // Phones arrive in waves, as they do after a maintenance window opens: each wave is parked in
    // key generation before the next connects, so the figure is the memory a parked session keeps,
    // not the transient peak of thousands of simultaneous handshakes.
    std::atomic<int> parked{0};
    auto guard = asio::make_work_guard(io);
    std::thread client([&] { io.run(); });
    auto deadline = Clock::now() + std::chrono::minutes(5);
    for (int first = 0; first < o.hold && Clock::now() < deadline; first += o.hold_wave) {
      int last_of_wave = std::min(o.hold, first + o.hold_wave);
      for (int i = first; i < last_of_wave; ++i) {
        phone::PhoneOptions opt = base;
        opt.device_name = device_name(o.sessions + i);
        opt.keygen_delay = std::chrono::minutes(10);
        opt.timeout = std::chrono::seconds(120);
        opt.on_generating = [&parked] { parked.fetch_add(1); };
        asio::co_spawn(io, phone::run_session(*tls, opt, states[static_cast<std::size_t>(i)]),
                       asio::detached);
      }
      while (Clock::now() < deadline && parked.load() < last_of_wave) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    double last = 0;
    for (int i = 0; i < 40; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
      double now = proc_kib(server.pid(), "VmRSS");
      if (std::abs(now - last) < 256)
        break;
      last = now;
    }
    report.held = parked.load();
    report.server_rss_holding_mib = proc_kib(server.pid(), "VmRSS") / 1024.0;
    if (report.held > 0) {
      report.kib_per_held_session =
          (report.server_rss_holding_mib - report.server_rss_before_hold_mib) * 1024.0 /
          report.held;
    }
    server.kill_now();
    guard.reset();
    io.stop();
    client.join();
  }
  server.kill_now();
  report.notes.push_back(
      "client and server share the machine: the simulated phones' TLS work runs on the same cores");
  return report;
}

std::string format_report(const BenchReport& r) {
  std::ostringstream s;
  s << fmt::format("machine:                 {}\n", r.machine);
  s << fmt::format(
      "install sessions:        {} of {} succeeded, {} in flight, phone key {}, CAPF key {}\n",
      r.succeeded, r.sessions, r.concurrency, r.phone_key, r.capf_key);
  s << fmt::format("throughput:              {:.1f} sessions/s ({:.2f} s)\n", r.sessions_per_second,
                   r.seconds);
  s << fmt::format("latency:                 p50 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms\n",
                   r.p50_ms, r.p99_ms, r.max_ms);
  s << fmt::format(
      "crypto ceiling:          {:.0f} {} signatures/s on all cores = {:.1f} sessions/s "
      "at {} signatures per session\n",
      r.sign_ops_per_second, r.capf_key, r.ceiling_sessions_per_second, r.sign_ops_per_session);
  s << fmt::format("ratio to ceiling:        {:.2f}\n", r.ratio);
  s << fmt::format(
      "server CPU per session:  {:.2f} ms, of which signing {:.2f} ms ({:.0f}%); the "
      "server alone on {} cores would do about {:.0f} sessions/s\n",
      r.server_cpu_ms_per_session, r.signing_ms_per_session, r.server_signing_share * 100.0,
      std::thread::hardware_concurrency(), r.server_only_sessions_per_second);
  s << fmt::format("server peak memory:      {:.1f} MiB\n", r.server_peak_rss_mib);
  if (r.held > 0) {
    s << fmt::format(
        "held in key generation:  {} sessions, server {:.1f} -> {:.1f} MiB = {:.1f} KiB "
        "per session\n",
        r.held, r.server_rss_before_hold_mib, r.server_rss_holding_mib, r.kib_per_held_session);
  }
  for (const auto& n : r.notes)
    s << "note: " << n << "\n";
  return s.str();
}

std::string report_json(const BenchReport& r) {
  nlohmann::json j{{"machine", r.machine},
                   {"sessions", r.sessions},
                   {"succeeded", r.succeeded},
                   {"concurrency", r.concurrency},
                   {"phone_key", r.phone_key},
                   {"capf_key", r.capf_key},
                   {"seconds", r.seconds},
                   {"sessions_per_second", r.sessions_per_second},
                   {"p50_ms", r.p50_ms},
                   {"p99_ms", r.p99_ms},
                   {"max_ms", r.max_ms},
                   {"sign_ops_per_second", r.sign_ops_per_second},
                   {"sign_ops_per_session", r.sign_ops_per_session},
                   {"ceiling_sessions_per_second", r.ceiling_sessions_per_second},
                   {"ratio", r.ratio},
                   {"sign_ops_per_second_one_core", r.sign_ops_per_second_one_core},
                   {"server_cpu_seconds", r.server_cpu_seconds},
                   {"server_cpu_ms_per_session", r.server_cpu_ms_per_session},
                   {"signing_ms_per_session", r.signing_ms_per_session},
                   {"server_signing_share", r.server_signing_share},
                   {"server_only_sessions_per_second", r.server_only_sessions_per_second},
                   {"server_peak_rss_mib", r.server_peak_rss_mib},
                   {"held", r.held},
                   {"server_rss_before_hold_mib", r.server_rss_before_hold_mib},
                   {"server_rss_holding_mib", r.server_rss_holding_mib},
                   {"kib_per_held_session", r.kib_per_held_session},
                   {"notes", r.notes}};
  return j.dump(2);
}

}  // namespace capf::bench
