#include "bench/install_driver.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "capf/common/file.h"

namespace capf::bench {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

std::string device_name(int i) {
  return fmt::format("SEPBE{:010X}", i);
}

Result<std::uint16_t> free_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, {asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

double percentile(std::vector<double> v, double p) {
  if (v.empty())
    return 0;
  std::sort(v.begin(), v.end());
  auto idx = std::min(v.size() - 1,
                      static_cast<std::size_t>(std::lround(p * static_cast<double>(v.size() - 1))));
  return v[idx];
}

Config bench_server_config(const BenchOptions& o, int max_sessions) {
  Config values;
  values.server.max_sessions = max_sessions;
  values.server.worker_threads = o.worker_threads;
  values.server.max_connections_per_address = 0;
  values.server.max_handshakes_per_address = 0;
  values.log.level = "warn";
  return values;
}

Status write_server_config(const std::filesystem::path& dir, const Config& values) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return make_error(ErrorCode::kIo, "cannot create {}: {}", dir.string(), ec.message());
  return write_file_atomically(config_file(dir), values.file_text(), FileMode::kPublic);
}

Result<pki::Certificate> make_server_data(const BenchOptions& o, const std::filesystem::path& data,
                                          const Config& values, const std::string& subject,
                                          int devices) {
  CAPF_TRY(write_server_config(data, values));
  InitOptions init_options;
  init_options.key = o.capf_key;
  init_options.subject = subject;
  init_options.days = 365;
  CAPF_TRY(Environment::init(data, init_options));
  CAPF_ASSIGN_OR_RETURN(auto env, Environment::open(data));
  CAPF_ASSIGN_OR_RETURN(auto id, env->load_identity());
  CAPF_TRY(provision_devices(*env, o, 0, devices));
  return id.certificate;
}

Status provision_devices(Environment& env, const BenchOptions& o, int first, int count) {
  return env.registry().transact([&]() -> Status {
    for (int i = first; i < first + count; ++i) {
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
      CAPF_TRY(env.admin().set_device(c, "bench"));
    }
    return ok();
  });
}

Installs drive_installs(const BenchOptions& o, asio::ssl::context& tls,
                        const phone::PhoneOptions& base, const std::vector<std::uint16_t>& ports,
                        int first, int count) {
  Installs result;
  std::vector<double> latencies_ms(static_cast<std::size_t>(count), -1);
  std::vector<std::atomic<int>> per_server(ports.size());
  std::atomic<int> next{0}, succeeded{0};
  asio::io_context io;
  for (int w = 0; w < o.concurrency; ++w) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          while (true) {
            int i = next.fetch_add(1);
            if (i >= count)
              co_return;
            const std::size_t server = static_cast<std::size_t>(i) % ports.size();
            phone::PhoneOptions opt = base;
            opt.device_name = device_name(first + i);
            opt.port = ports[server];
            auto state = phone::PhoneState::in_memory();
            auto t0 = Clock::now();
            phone::SessionReport r = co_await phone::run_session(tls, opt, state);
            if (r.exit_code == 0) {
              latencies_ms[static_cast<std::size_t>(i)] =
                  std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
              succeeded.fetch_add(1);
              per_server[server].fetch_add(1);
            }
          }
        },
        asio::detached);
  }
  auto t0 = Clock::now();
  const double cpu_before = own_cpu_seconds();
  std::vector<std::thread> threads;
  for (int t = 1; t < o.client_threads; ++t)
    threads.emplace_back([&] { io.run(); });
  io.run();
  for (auto& t : threads)
    t.join();
  result.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  result.phone_cpu_seconds = own_cpu_seconds() - cpu_before;
  result.succeeded = succeeded.load();
  for (double l : latencies_ms) {
    if (l >= 0)
      result.latencies_ms.push_back(l);
  }
  for (const auto& n : per_server)
    result.succeeded_per_server.push_back(n.load());
  return result;
}

EngineRun engine_run(const std::string& engine, int sessions, const Installs& run) {
  EngineRun r;
  r.engine = engine;
  r.nodes = static_cast<int>(run.succeeded_per_server.size());
  r.sessions = sessions;
  r.succeeded = run.succeeded;
  r.seconds = run.seconds;
  r.sessions_per_second = run.seconds > 0 ? run.succeeded / run.seconds : 0;
  r.p50_ms = percentile(run.latencies_ms, 0.50);
  r.p99_ms = percentile(run.latencies_ms, 0.99);
  if (run.succeeded > 0)
    r.phone_cpu_ms_per_session = run.phone_cpu_seconds * 1000.0 / run.succeeded;
  r.max_ms = run.latencies_ms.empty()
                 ? 0
                 : *std::max_element(run.latencies_ms.begin(), run.latencies_ms.end());
  return r;
}

EngineRun measured_installs(const BenchOptions& o, asio::ssl::context& tls,
                            const phone::PhoneOptions& base, const ServerProcess& server,
                            const std::string& engine, int first, int count) {
  const double cpu_before = cpu_seconds(server.pid());
  Installs run = drive_installs(o, tls, base, {base.port}, first, count);
  EngineRun e = engine_run(engine, count, run);
  e.server_cpu_seconds = cpu_seconds(server.pid()) - cpu_before;
  if (e.succeeded > 0)
    e.server_cpu_ms_per_session = e.server_cpu_seconds * 1000.0 / e.succeeded;
  return e;
}

}  // namespace capf::bench
