// Device claims across nodes (docs/cluster.md, "Claims and failover"): two `opencapf serve`
// processes on one throwaway PostgreSQL, and the simulated phone (`opencapf phone`) driving the
// same device through both at once. Exactly one certificate is issued; the other session is
// refused as busy or finds nothing left to do.
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "capf/common/file.h"
#include "tests/store/postgres_server.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace capf::testing {
namespace {

::testing::Environment* const kPostgresEnvironment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

class DeviceClaimsCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<PostgresServer*> postgres = PostgresServer::shared();
    ASSERT_TRUE(postgres) << postgres.error().message;
    Result<std::string> database = (*postgres)->new_database();
    ASSERT_TRUE(database) << database.error().message;
    env_ = "OPENCAPF_STORE='" + *database + "' OPENCAPF_CLUSTER_PASSPHRASE='claims test' ";
  }
  void TearDown() override {
    for (int pid : servers_)
      ::kill(pid, SIGTERM);
  }

  ShellResult cli(const std::string& args) {
    return run_shell(env_ + OPENCAPF_BINARY + " " + args + " 2>&1");
  }

  // Initialises node `name` and starts `opencapf serve` for it; returns its phone address.
  std::string start_node(const std::string& name) {
    const std::string dir = (tmp_.path() / name).string();
    ShellResult init = cli("init --data " + dir + " --key ec:p256");
    EXPECT_EQ(init.exit_code, 0) << init.output;
    ShellResult named = run_shell("sed -i 's/^node_name = \"\"/node_name = \"" + name + "\"/' " +
                                  dir + "/opencapf.toml 2>&1");
    EXPECT_EQ(named.exit_code, 0) << named.output;
    ShellResult port = run_shell(
        "python3 -c 'import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); "
        "print(s.getsockname()[1])'");
    const std::string server = "127.0.0.1:" + port.output.substr(0, port.output.find('\n'));
    ShellResult started = run_shell(env_ + OPENCAPF_BINARY + " serve --data " + dir + " --listen " +
                                    server + " --admin '' >" + dir + ".log 2>&1 & echo $!");
    servers_.push_back(std::stoi(started.output));
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < until &&
           run_shell("python3 -c 'import socket; socket.create_connection((\"127.0.0.1\"," +
                     server.substr(10) + "),1)' 2>/dev/null")
                   .exit_code != 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return server;
  }

  // `opencapf phone` for `device` against `server`, started in the background; its exit code is
  // written to STATE.rc.
  std::string phone(const std::string& device, const std::string& state,
                    const std::string& server) {
    const std::string dir = (tmp_.path() / state).string();
    return "(" + std::string(OPENCAPF_BINARY) + " phone " + device + " --state " + dir +
           " --server " + server + " --capf-cert " + (tmp_.path() / "capf.pem").string() +
           " --timeout 10 >" + dir + ".out 2>&1; echo $? >" + dir + ".rc) & ";
  }

  TempDir tmp_;
  std::string env_;
  std::vector<int> servers_;
};

TEST_F(DeviceClaimsCluster, OneDeviceThroughTwoNodesAtOnceGetsOneCertificate) {
  const std::string a = start_node("capf-a");
  const std::string b = start_node("capf-b");
  const std::string data_a = " --data " + (tmp_.path() / "capf-a").string();
  ASSERT_EQ(cli("ca export" + data_a + " >" + (tmp_.path() / "capf.pem").string()).exit_code, 0);

  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    const std::string device = "SEP0000000000C" + std::to_string(round);
    ShellResult set = cli("device set " + device + " --op install --auth null" + data_a);
    ASSERT_EQ(set.exit_code, 0) << set.output;
    ShellResult both =
        run_shell(phone(device, device + "-a", a) + phone(device, device + "-b", b) + "wait");
    ASSERT_EQ(both.exit_code, 0) << both.output;
    const std::string rc_a = read_file(tmp_.path() / (device + "-a.rc")).value_or("?");
    const std::string rc_b = read_file(tmp_.path() / (device + "-b.rc")).value_or("?");
    EXPECT_TRUE((rc_a == "0\n") != (rc_b == "0\n"))
        << "a: " << rc_a << read_file(tmp_.path() / (device + "-a.out")).value_or("")
        << "\nb: " << rc_b << read_file(tmp_.path() / (device + "-b.out")).value_or("");

    ShellResult certs = cli("cert list --json --device " + device + data_a);
    ASSERT_EQ(certs.exit_code, 0) << certs.output;
    nlohmann::json j = nlohmann::json::parse(certs.output, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << certs.output;
    EXPECT_EQ(j.size(), 1u) << j.dump(2);
  }
}

}  // namespace
}  // namespace capf::testing
