// ClusterNodes: `opencapf serve` nodes of one cluster on a throwaway PostgreSQL database, for the
// cluster integration tests: each node's data directory (opencapf init) with its [cluster]
// settings, its serve process on a free 127.0.0.1 port, and simulated phones (`opencapf phone`)
// started in the background. Every node still running is stopped (SIGTERM) at the end.
#pragma once

#include <signal.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "capf/common/file.h"

#include "tests/store/postgres_server.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace capf::testing {

class ClusterNodes {
 public:
  // `url`: the cluster's PostgreSQL database.
  explicit ClusterNodes(const std::string& url)
      : env_("OPENCAPF_STORE='" + url + "' OPENCAPF_CLUSTER_PASSPHRASE='cluster test' ") {}
  // Nodes on a new database of the test binary's shared PostgreSQL, or why there are none.
  static Result<std::unique_ptr<ClusterNodes>> on_shared_postgres() {
    CAPF_ASSIGN_OR_RETURN(PostgresServer * postgres, PostgresServer::shared());
    CAPF_ASSIGN_OR_RETURN(std::string database, postgres->new_database());
    return std::make_unique<ClusterNodes>(database);
  }
  ~ClusterNodes() {
    for (const auto& [name, pid] : pids_)
      ::kill(pid, SIGTERM);
  }
  ClusterNodes(const ClusterNodes&) = delete;
  ClusterNodes& operator=(const ClusterNodes&) = delete;

  const std::filesystem::path& dir() const { return tmp_.path(); }
  // " --data DIR" of node `name`, for cli().
  std::string data(const std::string& name) const { return " --data " + (dir() / name).string(); }
  // The serve process of node `name`.
  int pid(const std::string& name) const { return pids_.at(name); }
  // Its log (stdout and stderr).
  std::filesystem::path log(const std::string& name) const { return dir() / (name + ".log"); }
  // The CAPF certificate the phones trust (written by the first start_node).
  std::string capf_cert() const { return (dir() / "capf.pem").string(); }

  // The opencapf binary with the cluster's registry and passphrase; output and errors together.
  ShellResult cli(const std::string& args) const {
    return run_shell(env_ + OPENCAPF_BINARY + " " + args + " 2>&1");
  }

  // cli(args) parsed as JSON (null, with a test failure, when it fails or prints no JSON).
  nlohmann::json cli_json(const std::string& args) const {
    ShellResult r = cli(args);
    EXPECT_EQ(r.exit_code, 0) << args << ": " << r.output;
    nlohmann::json j = nlohmann::json::parse(r.output, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << args << ": " << r.output;
    return j.is_discarded() ? nlohmann::json() : j;
  }

  // Initialises node `name` with `[cluster] node_name = name` (and lease_seconds and
  // heartbeat_seconds when given), starts `opencapf serve` for it and waits up to 30 s until it
  // accepts connections; returns its phone address.
  std::string start_node(const std::string& name, int lease_seconds = 0,
                         int heartbeat_seconds = 0) {
    const std::string dir = (tmp_.path() / name).string();
    ShellResult init = cli("init --data " + dir + " --key ec:p256");
    EXPECT_EQ(init.exit_code, 0) << init.output;
    std::string edit = "-e 's/^node_name = \"\"/node_name = \"" + name + "\"/'";
    if (lease_seconds > 0)
      edit += " -e 's/^lease_seconds = .*/lease_seconds = " + std::to_string(lease_seconds) + "/'";
    if (heartbeat_seconds > 0)
      edit += " -e 's/^heartbeat_seconds = .*/heartbeat_seconds = " +
              std::to_string(heartbeat_seconds) + "/'";
    ShellResult edited = run_shell("sed -i " + edit + " " + dir + "/opencapf.toml 2>&1");
    EXPECT_EQ(edited.exit_code, 0) << edited.output;
    ShellResult port = run_shell(
        "python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); "
        "print(s.getsockname()[1])'");
    const std::string server = "127.0.0.1:" + port.output.substr(0, port.output.find('\n'));
    ShellResult started =
        run_shell(env_ + OPENCAPF_BINARY + " serve --data " + dir + " --listen " + server +
                  " --admin '' >" + log(name).string() + " 2>&1 & echo $!");
    pids_[name] = std::stoi(started.output);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < until && !accepts(server))
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    if (pids_.size() == 1) {
      ShellResult exported = cli("ca export" + data(name) + " >" + capf_cert());
      EXPECT_EQ(exported.exit_code, 0) << exported.output;
    }
    return server;
  }

  // Runs `phones` (phone() commands) and waits for them all, for at most `seconds`.
  static ShellResult run_phones(const std::string& phones, int seconds) {
    return run_shell("timeout " + std::to_string(seconds) + " sh -c '" + phones + "wait' 2>&1");
  }
  // What the phone with state directory `state` printed, and its exit code ("0", or "?" while it
  // runs).
  std::string phone_out(const std::string& state) const {
    return read_file(dir() / (state + ".out")).value_or("");
  }
  std::string phone_rc(const std::string& state) const {
    const std::string rc = read_file(dir() / (state + ".rc")).value_or("?\n");
    return rc.substr(0, rc.find('\n'));
  }
  // The serial of the LSC the phone keeps, lower-case hex without leading zeros ("" if none).
  std::string phone_lsc_serial(const std::string& state) const {
    ShellResult r = run_shell("openssl x509 -noout -serial -in " + (dir() / state).string() +
                              "/lsc.pem 2>/dev/null");
    return r.exit_code == 0 ? normal_serial(r.output.substr(r.output.find('=') + 1)) : "";
  }
  // A serial in hex as compared here: lower case, no leading zeros, no colons or line ends.
  static std::string normal_serial(const std::string& hex) {
    std::string out;
    for (char c : hex) {
      if (std::isxdigit(static_cast<unsigned char>(c)) && (!out.empty() || c != '0'))
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
  }

  // The devices whose claims `node` holds now (every node's when `node` is empty), as `cluster
  // status --json` on data directory `on` shows them.
  std::set<std::string> claims(const std::string& on, const std::string& node = "") const {
    std::set<std::string> devices;
    // Kept in a local: a range-for over a member of a temporary would dangle (before C++23).
    const nlohmann::json status = cli_json("cluster status --json" + data(on));
    for (const auto& claim : status["claims"]) {
      if (node.empty() || claim["node"] == node)
        devices.insert(claim["device"].get<std::string>());
    }
    return devices;
  }
  // claims(on, node), once it is not empty or `seconds` have passed.
  std::set<std::string> wait_for_claims(const std::string& on, const std::string& node,
                                        int seconds) const {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::set<std::string> devices;
    while (devices.empty() && std::chrono::steady_clock::now() < until)
      devices = claims(on, node);
    return devices;
  }

  // Expects that the phone with state directory `state` exited 0 holding an LSC, that `device
  // show` (on data directory `on`) names that LSC as the device's and no operation pending, and
  // that the ledger (`cert list`) holds it once. Returns the `device show --json` of the device.
  nlohmann::json expect_installed(const std::string& device, const std::string& state,
                                  const std::string& on) const {
    const std::string out = phone_out(state);
    EXPECT_EQ(phone_rc(state), "0") << out;
    const std::string serial = phone_lsc_serial(state);
    EXPECT_NE(serial, "") << out;
    nlohmann::json shown = cli_json("device show --json " + device + data(on));
    EXPECT_EQ(shown["operation"], "none") << shown.dump(2);
    EXPECT_TRUE(shown["lsc"].is_object()) << shown.dump(2);
    if (shown["lsc"].is_object()) {
      EXPECT_EQ(normal_serial(shown["lsc"]["serial"].get<std::string>()), serial) << out;
    }
    int in_ledger = 0;
    for (const auto& cert : cli_json("cert list --json --device " + device + data(on)))
      in_ledger += normal_serial(cert["serial"].get<std::string>()) == serial ? 1 : 0;
    EXPECT_EQ(in_ledger, 1) << "the phone's certificate " << serial << " in the ledger";
    return shown;
  }

  // Whether node `name`'s serve process (started by start_node) still runs (not a zombie).
  bool running(const std::string& name) const {
    const auto stat = read_file("/proc/" + std::to_string(pids_.at(name)) + "/stat").value_or("");
    const auto end = stat.rfind(')');
    return end != std::string::npos && end + 2 < stat.size() && stat[end + 2] != 'Z';
  }

  // Sends `signal` to node `name`'s serve process; it no longer counts as running.
  void signal_node(const std::string& name, int signal) {
    ::kill(pids_.at(name), signal);
    pids_.erase(name);
  }

  // A shell command that starts `opencapf phone DEVICE` in the background with the state directory
  // STATE, each of `servers` as a --server and `options`; its output goes to STATE.out and its
  // exit code to STATE.rc (see phone_rc and phone_out).
  std::string phone(const std::string& device, const std::string& state,
                    const std::vector<std::string>& servers,
                    const std::string& options = "") const {
    const std::string dir = (tmp_.path() / state).string();
    std::string command = "(" + std::string(OPENCAPF_BINARY) + " phone " + device + " --state " +
                          dir + " --capf-cert " + capf_cert() + " " + options;
    for (const std::string& server : servers)
      command += " --server " + server;
    return command + " >" + dir + ".out 2>&1; echo $? >" + dir + ".rc) & ";
  }

 private:
  static bool accepts(const std::string& server) {
    return run_shell("python3 -c 'import socket; socket.create_connection((\"127.0.0.1\"," +
                     server.substr(server.rfind(':') + 1) + "),1)' 2>/dev/null")
               .exit_code == 0;
  }

  TempDir tmp_;
  std::string env_;
  std::map<std::string, int> pids_;
};

// A test fixture whose nodes_ are ClusterNodes on a new database of the shared PostgreSQL.
class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto nodes = ClusterNodes::on_shared_postgres();
    ASSERT_TRUE(nodes) << nodes.error().message;
    nodes_ = std::move(*nodes);
  }

  std::unique_ptr<ClusterNodes> nodes_;
};

}  // namespace capf::testing
