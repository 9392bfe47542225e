// Device claims across nodes (docs/cluster.md, "Claims and failover"): three `opencapf serve`
// processes on one throwaway PostgreSQL, and simulated phones (`opencapf phone`) driving the same
// device through two or three of them at once. Exactly one certificate is issued; every other
// session is refused as busy or finds nothing left to do.
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/cluster_nodes.h"
#include "tests/store/postgres_server.h"
#include "tests/support/shell.h"

namespace capf::testing {
namespace {

::testing::Environment* const kPostgresEnvironment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

// How long a round of simulated phones may take.
constexpr int kPhonesSeconds = 180;

class DeviceClaimsCluster : public ClusterTest {
 protected:
  // Starts nodes capf-a, capf-b and capf-c; their phone addresses.
  std::vector<std::string> start_three_nodes() {
    return {nodes_->start_node("capf-a"), nodes_->start_node("capf-b"),
            nodes_->start_node("capf-c")};
  }
};

// Each round drives one device through the first `count` of three nodes at once.
TEST_F(DeviceClaimsCluster, OneDeviceThroughSeveralNodesAtOnceGetsOneCertificate) {
  const std::vector<std::string> servers = start_three_nodes();
  const std::string data_a = nodes_->data("capf-a");

  const std::vector<std::size_t> rounds = {2, 2, 3, 3};
  for (std::size_t round = 0; round < rounds.size(); ++round) {
    const std::size_t count = rounds[round];
    SCOPED_TRACE(std::to_string(count) + " nodes, round " + std::to_string(round));
    const std::string device = "SEP0000000000C" + std::to_string(round);
    ShellResult set = nodes_->cli("device set " + device + " --op install --auth null" + data_a);
    ASSERT_EQ(set.exit_code, 0) << set.output;
    std::string phones;
    for (std::size_t i = 0; i < count; ++i)
      phones +=
          nodes_->phone(device, device + "-" + std::to_string(i), {servers[i]}, "--timeout 10");
    ShellResult all = ClusterNodes::run_phones(phones, kPhonesSeconds);
    ASSERT_EQ(all.exit_code, 0) << all.output;
    int installed = 0;
    std::string outputs;
    for (std::size_t i = 0; i < count; ++i) {
      const std::string state = device + "-" + std::to_string(i);
      installed += nodes_->phone_rc(state) == "0" ? 1 : 0;
      outputs += "node " + std::to_string(i) + ": rc " + nodes_->phone_rc(state) + "\n" +
                 nodes_->phone_out(state);
    }
    EXPECT_EQ(installed, 1) << outputs;

    const nlohmann::json j = nodes_->cli_json("cert list --json --device " + device + data_a);
    EXPECT_EQ(j.size(), 1u) << j.dump(2);
  }
}

// Wrong authentication strings count cluster-wide: one on each of three nodes locks the
// operation, and the right string then fails on every node.
TEST_F(DeviceClaimsCluster, ThreeWrongStringsOnThreeNodesLockTheOperation) {
  const std::vector<std::string> servers = start_three_nodes();
  const std::string device = "SEP0000000000D1";
  ShellResult set =
      nodes_->cli("device set " + device + " --op install --auth string --auth-string 123456" +
                  nodes_->data("capf-b"));
  ASSERT_EQ(set.exit_code, 0) << set.output;
  auto attempt = [&](std::size_t node, const std::string& string, const std::string& state) {
    ShellResult run = ClusterNodes::run_phones(
        nodes_->phone(device, state, {servers[node]}, "--timeout 10 --auth-string " + string),
        kPhonesSeconds);
    EXPECT_EQ(run.exit_code, 0) << run.output;
    return nodes_->phone_rc(state);
  };
  for (std::size_t node = 0; node < servers.size(); ++node) {
    SCOPED_TRACE("wrong string on node " + std::to_string(node));
    EXPECT_EQ(attempt(node, "000000", "wrong-" + std::to_string(node)), "1");
  }
  for (std::size_t node = 0; node < servers.size(); ++node) {
    SCOPED_TRACE("right string on node " + std::to_string(node));
    const std::string state = "right-" + std::to_string(node);
    EXPECT_EQ(attempt(node, "123456", state), "1") << nodes_->phone_out(state);
  }
  nlohmann::json shown = nodes_->cli_json("device show --json " + device + nodes_->data("capf-c"));
  EXPECT_NE(shown.dump().find("locked"), std::string::npos) << shown.dump(2);
  EXPECT_TRUE(
      nodes_->cli_json("cert list --json --device " + device + nodes_->data("capf-a")).empty());
}

}  // namespace
}  // namespace capf::testing
