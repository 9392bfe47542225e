// The issuance benchmark's report as text and as JSON.
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "bench/issuance_bench.h"

namespace capf::bench {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(NodeRun, name, sessions, share, cpu_seconds, cpu_ms_per_session)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(EngineRun, engine, nodes, sessions, succeeded, seconds,
                                   sessions_per_second, p50_ms, p99_ms, max_ms, server_cpu_seconds,
                                   server_cpu_ms_per_session, phone_cpu_ms_per_session, ratio,
                                   per_node)

namespace {

// The engines side by side (--store), then each multi-node run's nodes.
void format_engines(std::ostringstream& s, const BenchReport& r) {
  s << fmt::format("registry engines:        the same phones in the same run; PostgreSQL at {}\n",
                   r.store_url);
  s << fmt::format("  {:<11}{:>6}{:>12}{:>9}{:>9}{:>16}{:>11}  {}\n", "engine", "nodes",
                   "installs/s", "p50 ms", "p99 ms", "CPU ms/install", "/ ceiling", "succeeded");
  for (const EngineRun& e : r.engines) {
    s << fmt::format("  {:<11}{:>6}{:>12.1f}{:>9.1f}{:>9.1f}{:>16.2f}{:>11.2f}  {} of {}\n",
                     e.engine, e.nodes, e.sessions_per_second, e.p50_ms, e.p99_ms,
                     e.server_cpu_ms_per_session, e.ratio, e.succeeded, e.sessions);
  }
  for (const EngineRun& e : r.engines) {
    if (e.nodes < 2)
      continue;
    s << fmt::format("  {} with {} nodes, per node (server CPU of that node only):\n", e.engine,
                     e.nodes);
    for (const NodeRun& n : e.per_node) {
      s << fmt::format("    {:<10} {} installs ({:.0f}%), {:.2f} s CPU = {:.2f} ms/install\n",
                       n.name, n.sessions, n.share * 100.0, n.cpu_seconds, n.cpu_ms_per_session);
    }
  }
}

// The online runs: the same phones through CFSSL answering at once, then late.
void format_online(std::ostringstream& s, const BenchReport& r) {
  s << fmt::format(
      "online CA:               a real cfssl serve over HTTPS, {} installs per run, {} at once, "
      "[issuer] max_in_flight at its default\n",
      r.online.front().sessions, r.online_concurrency);
  s << fmt::format("  {:<16}{:>12}{:>10}{:>9}{:>9}{:>16}  {}\n", "CA answers", "installs/s",
                   "seconds", "p50 ms", "p99 ms", "CPU ms/install", "succeeded");
  for (const EngineRun& e : r.online) {
    s << fmt::format("  {:<16}{:>12.1f}{:>10.2f}{:>9.1f}{:>9.1f}{:>16.2f}  {} of {}\n", e.engine,
                     e.sessions_per_second, e.seconds, e.p50_ms, e.p99_ms,
                     e.server_cpu_ms_per_session, e.succeeded, e.sessions);
  }
  s << fmt::format(
      "  the slow CA cost {:.2f} s more; opencapf opened {} HTTPS connection(s) to the CA for "
      "{} requests\n",
      r.online_delay_cost_seconds, r.online_ca_connections,
      r.online.front().succeeded + r.online.back().succeeded);
}

}  // namespace

std::string format_report(const BenchReport& r) {
  std::ostringstream s;
  s << fmt::format("machine:                 {}\n", r.machine);
  s << fmt::format("data directory:          on {} ({})\n", r.data_on, r.data_filesystem);
  s << fmt::format(
      "install sessions:        {} of {} succeeded, {} in flight, phone key {}, CAPF key {}\n",
      r.succeeded, r.sessions, r.concurrency, r.phone_key, r.capf_key);
  s << fmt::format("throughput:              {:.1f} installs/s ({:.2f} s)\n", r.sessions_per_second,
                   r.seconds);
  s << fmt::format("session latency:         p50 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms\n",
                   r.p50_ms, r.p99_ms, r.max_ms);
  s << fmt::format(
      "crypto ceiling:          {:.0f} {} signatures/s per core, {:.0f} on all cores = {:.1f} "
      "installs/s at {} signatures per install\n",
      r.sign_ops_per_second_one_core, r.capf_key, r.sign_ops_per_second,
      r.ceiling_sessions_per_second, r.sign_ops_per_session);
  s << fmt::format("throughput / ceiling:    {:.2f}\n", r.ratio);
  s << fmt::format(
      "server CPU per install:  {:.2f} ms (user + system, all server threads, /proc/<pid>/stat)\n",
      r.server_cpu_ms_per_session);
  s << fmt::format(
      "pure crypto per install: {:.2f} ms ({} signatures at the one-core rate); server CPU / "
      "crypto = {:.1f}x, signing is {:.0f}% of it\n",
      r.signing_ms_per_session, r.sign_ops_per_session, r.cpu_over_crypto,
      r.server_signing_share * 100.0);
  s << fmt::format(
      "phones' CPU per install: {:.2f} ms (the simulated phones in this process, on the same "
      "cores)\n",
      r.phone_cpu_ms_per_session);
  s << fmt::format("server alone:            about {:.0f} installs/s on {} cores\n",
                   r.server_only_sessions_per_second, std::thread::hardware_concurrency());
  if (r.fsyncs >= 0) {
    s << fmt::format("fsyncs per install:      {:.2f} ({} over {} installs; {})\n",
                     r.fsyncs_per_session, r.fsyncs, r.fsync_sessions, r.fsync_method);
  } else {
    s << fmt::format("fsyncs per install:      not counted ({})\n", r.fsync_method);
  }
  s << fmt::format("server peak memory:      {:.1f} MiB\n", r.server_peak_rss_mib);
  if (r.parked > 0) {
    s << fmt::format(
        "parked in key generation: {} connections, server {:.1f} -> {:.1f} MiB = {:.0f} bytes "
        "per parked connection\n",
        r.parked, r.server_rss_before_parked_mib, r.server_rss_parked_mib,
        r.bytes_per_parked_connection);
  }
  if (!r.engines.empty())
    format_engines(s, r);
  if (!r.online.empty())
    format_online(s, r);
  for (const auto& n : r.notes)
    s << "note: " << n << "\n";
  return s.str();
}

std::string report_json(const BenchReport& r) {
  nlohmann::json j{{"machine", r.machine},
                   {"data_on", r.data_on},
                   {"data_filesystem", r.data_filesystem},
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
                   {"phone_cpu_ms_per_session", r.phone_cpu_ms_per_session},
                   {"signing_ms_per_session", r.signing_ms_per_session},
                   {"server_signing_share", r.server_signing_share},
                   {"cpu_over_crypto", r.cpu_over_crypto},
                   {"server_only_sessions_per_second", r.server_only_sessions_per_second},
                   {"fsyncs", r.fsyncs},
                   {"fsync_sessions", r.fsync_sessions},
                   {"fsyncs_per_session", r.fsyncs_per_session},
                   {"fsync_method", r.fsync_method},
                   {"server_peak_rss_mib", r.server_peak_rss_mib},
                   {"parked", r.parked},
                   {"server_rss_before_parked_mib", r.server_rss_before_parked_mib},
                   {"server_rss_parked_mib", r.server_rss_parked_mib},
                   {"bytes_per_parked_connection", r.bytes_per_parked_connection},
                   {"notes", r.notes}};
  if (!r.engines.empty()) {
    j["store_url"] = r.store_url;
    j["engines"] = r.engines;
  }
  if (!r.online.empty()) {
    j["online"] = r.online;
    j["online_concurrency"] = r.online_concurrency;
    j["online_ca_connections"] = r.online_ca_connections;
    j["online_delay_cost_seconds"] = r.online_delay_cost_seconds;
  }
  return j.dump(2);
}

}  // namespace capf::bench
