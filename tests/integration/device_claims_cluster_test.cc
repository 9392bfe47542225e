// Device claims across nodes (docs/cluster.md, "Claims and failover"): two `opencapf serve`
// processes on one throwaway PostgreSQL, and the simulated phone (`opencapf phone`) driving the
// same device through both at once. Exactly one certificate is issued; the other session is
// refused as busy or finds nothing left to do.
#include <filesystem>
#include <memory>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "capf/common/file.h"
#include "tests/integration/cluster_nodes.h"
#include "tests/store/postgres_server.h"
#include "tests/support/shell.h"

namespace capf::testing {
namespace {

::testing::Environment* const kPostgresEnvironment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

using DeviceClaimsCluster = ClusterTest;

TEST_F(DeviceClaimsCluster, OneDeviceThroughTwoNodesAtOnceGetsOneCertificate) {
  const std::string a = nodes_->start_node("capf-a");
  const std::string b = nodes_->start_node("capf-b");
  const std::string data_a = nodes_->data("capf-a");
  const std::filesystem::path& tmp = nodes_->dir();

  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    const std::string device = "SEP0000000000C" + std::to_string(round);
    ShellResult set = nodes_->cli("device set " + device + " --op install --auth null" + data_a);
    ASSERT_EQ(set.exit_code, 0) << set.output;
    ShellResult both =
        run_shell(nodes_->phone(device, device + "-a", {a}, "--timeout 10") +
                  nodes_->phone(device, device + "-b", {b}, "--timeout 10") + "wait");
    ASSERT_EQ(both.exit_code, 0) << both.output;
    const std::string rc_a = read_file(tmp / (device + "-a.rc")).value_or("?");
    const std::string rc_b = read_file(tmp / (device + "-b.rc")).value_or("?");
    EXPECT_TRUE((rc_a == "0\n") != (rc_b == "0\n"))
        << "a: " << rc_a << read_file(tmp / (device + "-a.out")).value_or("") << "\nb: " << rc_b
        << read_file(tmp / (device + "-b.out")).value_or("");

    ShellResult certs = nodes_->cli("cert list --json --device " + device + data_a);
    ASSERT_EQ(certs.exit_code, 0) << certs.output;
    nlohmann::json j = nlohmann::json::parse(certs.output, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << certs.output;
    EXPECT_EQ(j.size(), 1u) << j.dump(2);
  }
}

}  // namespace
}  // namespace capf::testing
