// What the issuance benchmark's phases share (bench/issuance_bench.cc, bench/store_bench.cc): the
// devices it provisions, and the simulated phones that install them against one or more servers.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/asio/ssl/context.hpp>

#include "bench/issuance_bench.h"
#include "capf/daemon/environment.h"
#include "phone/phone_session.h"

namespace capf::bench {

// The benchmark's device number i: SEPBE0000000000 + i.
std::string device_name(int i);
// A TCP port on 127.0.0.1 that was free a moment ago.
Result<std::uint16_t> free_port();
// The p-quantile (0..1) of v, nearest rank; 0 for none.
double percentile(std::vector<double> v, double p);

// Devices first..first+count-1 scheduled for an install with the phones' key, in one transaction:
// provisioning is not what is measured.
Status provision_devices(Environment& env, const BenchOptions& o, int first, int count);

// What one run of install sessions gave: wall time, successes, each success's latency, and the
// successes per server (in the order of the ports given).
struct Installs {
  double seconds = 0;
  int succeeded = 0;
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

}  // namespace capf::bench
