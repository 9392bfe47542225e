// The end-to-end issuance benchmark behind `opencapf bench`: it starts a real `opencapf serve`
// process on loopback (its data directory on disk unless asked otherwise), drives simulated phones
// with pre-generated keys against it, and measures in the same run the crypto ceiling of this
// machine (OpenSSL private-key operations per second with a key like the CAPF key), so throughput
// and the server's CPU per install are reported as ratios to it rather than bare numbers. With a
// PostgreSQL database (--store) the install phase runs again against it, with one node and with
// several (bench/store_bench.cc), and the report sets the engines side by side.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "bench/work_dir.h"
#include "capf/common/result.h"
#include "capf/domain/device.h"

namespace capf::bench {

struct BenchOptions {
  std::filesystem::path opencapf;          // the binary to run as the server
  std::filesystem::path work_dir;          // empty: a new temporary directory, removed afterwards
  DataOn data_on = DataOn::kDisk;          // where the data directory lives (work_dir must agree)
  int sessions = 2000;                     // install sessions to run
  int concurrency = 64;                    // phones in flight at once
  KeySpec phone_key{KeyType::kRsa, 2048};  // what most phones in the field present
  KeySpec capf_key{KeyType::kRsa, 2048};
  int parked = 10000;     // connections parked in key generation (0 skips that phase)
  int parked_wave = 500;  // parked phones connect in waves of this many
  // Installs of the untimed pass that counts fsyncs with the server under strace (0 skips it).
  int fsync_sessions = 200;
  int client_threads = 1;
  int worker_threads = 0;  // the servers' [server] worker_threads (0: the product's default)
  std::chrono::seconds ceiling_duration{3};
  // An empty PostgreSQL database (libpq URL, never with a password): the install phase runs again
  // with the registry there, after the SQLite baseline. Empty: SQLite only.
  std::string store_url;
  int nodes = 1;  // `opencapf serve` processes on store_url (1..3); more than 1 runs 1 first
  // The online phase (bench/online_bench.h): -1 skips it; else how much later than at once the CA
  // answers in its second run, with ca_sessions installs, ca_concurrency at once, in each run.
  int ca_delay_ms = -1;
  int ca_sessions = 64, ca_concurrency = 32;
};

// Checks what run_issuance_bench would refuse, before anything is started.
Status validate(const BenchOptions& options);

// One node's part of an install run: the sessions it served and the CPU it used.
struct NodeRun {
  std::string name;
  int sessions = 0;  // installs that succeeded through this node
  double share = 0;  // of the run's successful installs
  double cpu_seconds = 0;
  double cpu_ms_per_session = 0;
};

// One install run against one registry engine with one or more nodes.
struct EngineRun {
  std::string engine;  // "sqlite" | "postgresql"
  int nodes = 1;
  int sessions = 0, succeeded = 0;
  double seconds = 0, sessions_per_second = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  double server_cpu_seconds = 0;         // every node's, added up
  double server_cpu_ms_per_session = 0;  // total CPU / successful installs
  // The simulated phones' CPU (this process, all its threads) per successful install: it shares the
  // cores with the server, which real phones do not.
  double phone_cpu_ms_per_session = 0;
  double ratio = 0;  // sessions_per_second / the crypto ceiling
  std::vector<NodeRun> per_node;
};

struct BenchReport {
  std::string machine;  // CPU model, cores
  int sessions = 0;
  int succeeded = 0;
  int concurrency = 0;
  std::string phone_key, capf_key;
  std::string data_on, data_filesystem;  // "disk"/"tmpfs" and the filesystem type found
  double seconds = 0;
  double sessions_per_second = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  double sign_ops_per_second = 0;  // all cores, the CAPF key, SHA-256 over an LSC-sized TBS
  int sign_ops_per_session = 2;    // TLS handshake signature + LSC signature
  double ceiling_sessions_per_second = 0;
  double ratio = 0;  // sessions_per_second / ceiling
  double sign_ops_per_second_one_core = 0;
  // The server process's user + system CPU time (all threads, /proc/<pid>/stat) in the install
  // phase.
  double server_cpu_seconds = 0;
  double server_cpu_ms_per_session = 0;
  double phone_cpu_ms_per_session = 0;  // the simulated phones', as EngineRun's
  double signing_ms_per_session = 0;    // the pure crypto cost: two signatures at the one-core rate
  double server_signing_share = 0;      // signing_ms / server_cpu_ms: 1.0 = nothing but signing
  double cpu_over_crypto = 0;           // server_cpu_ms / signing_ms: 1.0 = nothing but signing
  double server_only_sessions_per_second = 0;  // cores / server CPU per session
  double server_peak_rss_mib = 0;              // VmHWM after the install phase
  long fsyncs = -1;        // fsync + fdatasync in the fsync pass; -1: not counted
  int fsync_sessions = 0;  // installs that succeeded in the fsync pass
  double fsyncs_per_session = -1;
  std::string fsync_method;  // how they were counted, or why not
  int parked = 0;            // connections parked in key generation
  double server_rss_before_parked_mib = 0, server_rss_parked_mib = 0;
  double bytes_per_parked_connection = 0;
  // With --store: the SQLite baseline (the figures above), then PostgreSQL with one node and, with
  // --nodes N > 1, with N nodes. Empty without --store.
  std::string store_url;
  std::vector<EngineRun> engines;
  // With --ca-delay-ms: through CFSSL answering at once, then late ("cfssl", "cfssl +500 ms").
  std::vector<EngineRun> online;
  int online_concurrency = 0;     // phones at once in each online run
  int online_ca_connections = 0;  // HTTPS connections opencapf opened to the CA over both runs
  double online_delay_cost_seconds = 0;  // the late run's wall time less the prompt run's
  std::vector<std::string> notes;
};

Result<BenchReport> run_issuance_bench(const BenchOptions& options);
std::string format_report(const BenchReport& report);
std::string report_json(const BenchReport& report);

}  // namespace capf::bench
