// The end-to-end issuance benchmark behind `opencapf bench`: it starts a real `opencapf serve`
// process on loopback, drives simulated phones with pre-generated keys against it, and measures in
// the same run the crypto ceiling of this machine (OpenSSL private-key operations per second with a
// key like the CAPF key), so throughput is reported as a ratio rather than a bare number.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "capf/common/result.h"
#include "capf/domain/device.h"

namespace capf::bench {

struct BenchOptions {
  std::filesystem::path opencapf;  // the binary to run as the server
  std::filesystem::path work_dir;  // empty: a new temporary directory, removed afterwards
  int sessions = 2000;             // install sessions to run
  int concurrency = 64;            // phones in flight at once
  KeySpec phone_key{KeyType::kEc, 256};
  KeySpec capf_key{KeyType::kRsa, 2048};
  int hold = 10000;     // sessions parked in key generation (0 skips that phase)
  int hold_wave = 500;  // hold phones connect in waves of this many
  int client_threads = 1;
  std::chrono::seconds ceiling_duration{3};
};

struct BenchReport {
  std::string machine;  // CPU model, cores
  int sessions = 0;
  int succeeded = 0;
  int concurrency = 0;
  std::string phone_key, capf_key;
  double seconds = 0;
  double sessions_per_second = 0;
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  double sign_ops_per_second = 0;  // all cores, the CAPF key, SHA-256 over an LSC-sized TBS
  int sign_ops_per_session = 2;    // TLS handshake signature + LSC signature
  double ceiling_sessions_per_second = 0;
  double ratio = 0;  // sessions_per_second / ceiling
  double sign_ops_per_second_one_core = 0;
  double server_cpu_seconds = 0;  // the server process's CPU time in the install phase
  double server_cpu_ms_per_session = 0;
  double signing_ms_per_session = 0;  // the two signatures, at the one-core rate
  double server_signing_share = 0;    // signing_ms / server_cpu_ms: 1.0 = nothing but signing
  double server_only_sessions_per_second = 0;  // cores / server CPU per session
  double server_peak_rss_mib = 0;              // VmHWM after the install phase
  int held = 0;
  double server_rss_before_hold_mib = 0, server_rss_holding_mib = 0;
  double kib_per_held_session = 0;
  std::vector<std::string> notes;
};

Result<BenchReport> run_issuance_bench(const BenchOptions& options);
std::string format_report(const BenchReport& report);
std::string report_json(const BenchReport& report);

}  // namespace capf::bench
