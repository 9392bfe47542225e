#include "bench/store_bench.h"

#include <memory>
#include <thread>
#include <vector>

#include <fmt/ranges.h>

#include "bench/install_driver.h"
#include "bench/server_process.h"
#include "capf/common/bytes.h"
#include "capf/common/file.h"
#include "capf/daemon/environment.h"
#include "capf/pki/digest.h"
#include "capf/store/postgres/pg_connection.h"

namespace capf::bench {

namespace {

constexpr int kMaxNodes = 3;
// How long one `opencapf init` may take (a new CAPF key, the database's schema).
constexpr std::chrono::seconds kInitTimeout{120};

// The last line of `log` that is not blank, or "".
std::string last_line(const std::filesystem::path& log) {
  auto text = read_file(log);
  std::string last;
  if (!text)
    return last;
  for (std::string_view rest = *text; !rest.empty();) {
    const std::size_t end = std::min(rest.find('\n'), rest.size());
    if (rest.substr(0, end).find_first_not_of(" \t\r") != std::string_view::npos)
      last = rest.substr(0, end);
    rest.remove_prefix(std::min(end + 1, rest.size()));
  }
  return last;
}

// One node's data directory: the benchmark's server settings, the registry at `url`, its node
// name and the cluster passphrase.
Status write_node_config(const BenchOptions& o, const std::filesystem::path& dir,
                         const std::string& name, const std::string& passphrase) {
  Config values = bench_server_config(o, o.concurrency + 1000);
  values.store.url = o.store_url;
  values.cluster.node_name = name;
  CAPF_TRY(write_server_config(dir, values));
  return write_file_atomically(dir / values.cluster.passphrase_file, passphrase + "\n",
                               FileMode::kPrivate);
}

// `opencapf init` of a node's data directory, as an administrator runs it: the first makes the
// cluster in the database, the others join it. Its own error line when it fails.
Status run_init(const BenchOptions& o, const std::filesystem::path& dir, const std::string& name,
                const std::filesystem::path& log) {
  CAPF_ASSIGN_OR_RETURN(int exit_code,
                        run_command({o.opencapf.string(), "init", "--data", dir.string(), "--key",
                                     to_string(o.capf_key), "--subject",
                                     "CN=CAPF-bench,O=opencapf bench", "--days", "365"},
                                    log, kInitTimeout));
  if (exit_code != 0) {
    return make_error(ErrorCode::kUnavailable, "`opencapf init` of node {} on --store failed: {}",
                      name, last_line(log));
  }
  return ok();
}

struct Node {
  std::string name;
  std::filesystem::path dir;
  std::uint16_t port = 0;
  std::unique_ptr<ServerProcess> server = std::make_unique<ServerProcess>();
};

// `o.sessions` installs from device `first` on, round robin over nodes[0..count-1]: the run's
// figures, and each node's sessions and CPU.
EngineRun run_phase(const BenchOptions& o, boost::asio::ssl::context& tls,
                    const phone::PhoneOptions& base, const std::vector<Node>& nodes, int count,
                    int first) {
  std::vector<std::uint16_t> ports;
  std::vector<double> cpu_before;
  for (int i = 0; i < count; ++i) {
    ports.push_back(nodes[static_cast<std::size_t>(i)].port);
    cpu_before.push_back(cpu_seconds(nodes[static_cast<std::size_t>(i)].server->pid()));
  }
  Installs run = drive_installs(o, tls, base, ports, first, o.sessions);
  EngineRun e = engine_run("postgresql", o.sessions, run);
  for (std::size_t i = 0; i < ports.size(); ++i) {
    NodeRun n;
    n.name = nodes[i].name;
    n.sessions = run.succeeded_per_server[i];
    n.share = run.succeeded > 0 ? static_cast<double>(n.sessions) / run.succeeded : 0;
    n.cpu_seconds = cpu_seconds(nodes[i].server->pid()) - cpu_before[i];
    if (n.sessions > 0)
      n.cpu_ms_per_session = n.cpu_seconds * 1000.0 / n.sessions;
    e.server_cpu_seconds += n.cpu_seconds;
    e.per_node.push_back(std::move(n));
  }
  if (e.succeeded > 0)
    e.server_cpu_ms_per_session = e.server_cpu_seconds * 1000.0 / e.succeeded;
  return e;
}

}  // namespace

Status validate_store_options(const BenchOptions& o) {
  if (o.store_url.empty() && o.nodes != 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--nodes needs --store URL: the nodes share a PostgreSQL registry");
  }
  if (o.nodes < 1 || o.nodes > kMaxNodes)
    return make_error(ErrorCode::kInvalidArgument, "--nodes must be 1, 2 or 3, not {}", o.nodes);
  if (!o.store_url.empty())
    return check_store_url(o.store_url);
  return ok();
}

Status check_store(const std::string& url) {
  CAPF_TRY(check_store_url(url));
  CAPF_ASSIGN_OR_RETURN(auto connection, PgConnection::open(url));
  CAPF_ASSIGN_OR_RETURN(
      PgRows tables,
      connection->execute("SELECT table_schema || '.' || table_name FROM information_schema.tables "
                          "WHERE table_schema NOT IN ('pg_catalog', 'information_schema') "
                          "ORDER BY 1",
                          {}, "listing the tables of the --store database"));
  if (tables.size() == 0)
    return ok();
  std::vector<std::string> names;
  for (int i = 0; i < std::min(3, tables.size()); ++i)
    names.push_back(tables.row(i).text(0));
  return make_error(ErrorCode::kConflict,
                    "--store: {} is not empty ({} table(s): {}{}): the bench makes a new cluster "
                    "there; give it an empty database (createdb a new one)",
                    connection->describe(), tables.size(), fmt::join(names, ", "),
                    tables.size() > 3 ? ", ..." : "");
}

Status run_store_installs(const BenchOptions& o, const phone::PhoneOptions& base,
                          const std::filesystem::path& work, BenchReport& report) {
  report.store_url = o.store_url;
  CAPF_ASSIGN_OR_RETURN(Bytes secret, pki::random_bytes(16));
  const std::string passphrase = to_hex(secret);
  std::vector<Node> nodes(static_cast<std::size_t>(o.nodes));
  for (int i = 0; i < o.nodes; ++i) {
    Node& n = nodes[static_cast<std::size_t>(i)];
    n.name = fmt::format("bench-{}", i + 1);
    n.dir = work / ("pg-" + n.name);
    CAPF_TRY(write_node_config(o, n.dir, n.name, passphrase));
    CAPF_TRY(run_init(o, n.dir, n.name, work / ("pg-" + n.name + "-init.log")));
  }
  const int phases = o.nodes > 1 ? 2 : 1;
  phone::PhoneOptions phones = base;
  {
    CAPF_ASSIGN_OR_RETURN(auto env, Environment::open(nodes.front().dir));
    CAPF_ASSIGN_OR_RETURN(auto id, env->load_identity());
    phones.server_trust = {id.certificate};
    CAPF_TRY(provision_devices(*env, o, 0, o.sessions * phases));
  }
  CAPF_ASSIGN_OR_RETURN(auto tls, phone::make_phone_tls_context(phones));
  for (Node& n : nodes) {
    CAPF_ASSIGN_OR_RETURN(n.port, free_port());
    CAPF_TRY(n.server->start(o.opencapf, n.dir, n.port, work / ("pg-" + n.name + ".log"), {}));
  }
  report.engines.push_back(run_phase(o, *tls, phones, nodes, 1, 0));
  if (o.nodes > 1) {
    report.engines.push_back(run_phase(o, *tls, phones, nodes, o.nodes, o.sessions));
    report.notes.push_back(fmt::format(
        "the {} nodes and the simulated phones share this machine's {} cores: {} nodes cannot "
        "give {} times the installs/s here; what the run shows is the CPU per install and that "
        "the nodes share the load",
        o.nodes, std::thread::hardware_concurrency(), o.nodes, o.nodes));
  }
  return ok();
}

}  // namespace capf::bench
