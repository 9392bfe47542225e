// What the issuance benchmark's phases share (bench/issuance_bench.cc, bench/store_bench.cc): the
// devices it provisions, and the simulated phones that install them against one or more servers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "bench/issuance_bench.h"
#include "bench/server_process.h"
#include "capf/daemon/environment.h"
#include "phone/phone_session.h"

namespace capf::bench {

// The benchmark's device number i: SEPBE0000000000 + i.
std::string device_name(int i);
// A TCP port on 127.0.0.1 that was free a moment ago.
Result<std::uint16_t> free_port();
// The p-quantile (0..1) of v, nearest rank; 0 for none.
double percentile(std::vector<double> v, double p);

// The benchmark's server settings: `max_sessions` sessions at once, the per-address limits off
// (the simulated phones come from one or a few loopback addresses), warnings only in the log,
// o.worker_threads.
Config bench_server_config(const BenchOptions& o, int max_sessions);
// Writes `values` as the opencapf.toml of data directory `dir` (made if missing).
Status write_server_config(const std::filesystem::path& dir, const Config& values);
// A single-node data directory: `values` as its opencapf.toml, a CAPF identity made as `opencapf
// init` makes it (a key like o.capf_key, `subject`, a year), and devices 0..devices-1 provisioned.
// Returns the CAPF certificate the phones trust.
Result<pki::Certificate> make_server_data(const BenchOptions& o, const std::filesystem::path& data,
                                          const Config& values, const std::string& subject,
                                          int devices);

// Devices first..first+count-1 scheduled for an install with the phones' key, in one transaction:
// provisioning is not what is measured.
Status provision_devices(Environment& env, const BenchOptions& o, int first, int count);

// What one run of install sessions gave: wall time, successes, each success's latency, and the
// successes per server (in the order of the ports given).
struct Installs {
  double seconds = 0;
  int succeeded = 0;
  double phone_cpu_seconds = 0;  // this process's CPU while the phones ran: theirs
  std::vector<double> latencies_ms;
  std::vector<int> succeeded_per_server;
};

// `count` installs for devices first..first+count-1, `o.concurrency` phones each running sessions
// back to back; session i goes to ports[i % ports.size()] (round robin over the servers).
Installs drive_installs(const BenchOptions& o, boost::asio::ssl::context& tls,
                        const phone::PhoneOptions& base, const std::vector<std::uint16_t>& ports,
                        int first, int count);

// The figures of an install run as an EngineRun (all but the CPU time and the nodes).
EngineRun engine_run(const std::string& engine, int sessions, const Installs& run);

// drive_installs against one server, with that server's CPU time over the run: the EngineRun
// labelled `engine`, `o.concurrency` phones at once.
EngineRun measured_installs(const BenchOptions& o, boost::asio::ssl::context& tls,
                            const phone::PhoneOptions& base, const ServerProcess& server,
                            const std::string& engine, int first, int count);

}  // namespace capf::bench
