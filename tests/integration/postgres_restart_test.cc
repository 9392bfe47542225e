// PostgreSQL restarted under load (docs/cluster.md, "When a node or the database dies"): two
// `opencapf serve` nodes on a throwaway PostgreSQL, simulated phones installing through both with
// retries, and the database restarted (pg_ctl restart -m fast cuts every connection) while
// sessions are in progress. The nodes go on without restarting: each logs the lost connection and
// reconnects by itself, every phone finishes with the LSC the registry names, no device claim is
// left behind, and a new session afterwards succeeds. A binary of its own: it restarts the binary's
// shared PostgreSQL.
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capf/common/file.h"
#include "tests/integration/cluster_nodes.h"
#include "tests/store/postgres_server.h"
#include "tests/support/shell.h"

namespace capf::testing {
namespace {

using ::testing::HasSubstr;

::testing::Environment* const kPostgresEnvironment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

constexpr int kDevices = 8;
constexpr const char* kPhoneOptions =
    "--timeout 5 --keygen-delay 1000 --attempts 40 --retry-delay 300";

TEST(PostgresRestart, NodesReconnectByThemselvesAndEveryPhoneFinishes) {
  auto cluster = ClusterNodes::on_shared_postgres();
  ASSERT_TRUE(cluster) << cluster.error().message;
  ClusterNodes& nodes = **cluster;
  const std::string a = nodes.start_node("capf-a", 15, 1);
  const std::string b = nodes.start_node("capf-b", 15, 1);
  const int pid_a = nodes.pid("capf-a");
  const int pid_b = nodes.pid("capf-b");

  std::string phones;
  for (int i = 0; i < kDevices; ++i) {
    const std::string device = "SEP00000000D00" + std::to_string(i);
    ShellResult set =
        nodes.cli("device set " + device + " --op install --auth null" + nodes.data("capf-a"));
    ASSERT_EQ(set.exit_code, 0) << set.output;
    phones += nodes.phone(device, device, i % 2 == 0 ? std::vector{a, b} : std::vector{b, a},
                          kPhoneOptions);
  }
  ShellResult run;
  std::thread phones_thread([&] { run = ClusterNodes::run_phones(phones, 240); });
  const bool in_progress = !nodes.wait_for_claims("capf-a", "", 120).empty();
  Status restarted = PostgresServer::shared().value()->restart();
  phones_thread.join();
  ASSERT_TRUE(in_progress) << "no session was in progress when PostgreSQL restarted";
  ASSERT_TRUE(restarted) << restarted.error().message;
  ASSERT_EQ(run.exit_code, 0) << run.output;

  for (int i = 0; i < kDevices; ++i) {
    const std::string device = "SEP00000000D00" + std::to_string(i);
    SCOPED_TRACE(device);
    nodes.expect_installed(device, device, "capf-a");
  }

  // No claim is left behind: a release the restart refused went through once PostgreSQL answered
  // (the heartbeat extends every claim a node holds, so one left behind would block its device
  // for as long as the node lives).
  std::set<std::string> left = nodes.claims("capf-a");
  for (int i = 0; i < 10 && !left.empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    left = nodes.claims("capf-a");
  }
  EXPECT_THAT(left, ::testing::IsEmpty());

  // The same processes, which said that they lost the database.
  EXPECT_TRUE(nodes.running("capf-a"));
  EXPECT_TRUE(nodes.running("capf-b"));
  EXPECT_EQ(nodes.pid("capf-a"), pid_a);
  EXPECT_EQ(nodes.pid("capf-b"), pid_b);
  const std::string log_a = read_file(nodes.log("capf-a")).value_or("");
  const std::string log_b = read_file(nodes.log("capf-b")).value_or("");
  EXPECT_THAT(log_a + log_b, HasSubstr("the connection to PostgreSQL was lost")) << log_a << log_b;

  // A new session on each node after the restart.
  for (const std::string& node : {std::string("capf-a"), std::string("capf-b")}) {
    const std::string device = "SEP00000000D1" + node.substr(5) + "0";
    ASSERT_EQ(nodes.cli("device set " + device + " --op install --auth null" + nodes.data(node))
                  .exit_code,
              0);
    ShellResult after =
        ClusterNodes::run_phones(nodes.phone(device, device, {node == "capf-a" ? a : b}), 30);
    ASSERT_EQ(after.exit_code, 0) << after.output;
    nodes.expect_installed(device, device, node);
  }
}

}  // namespace
}  // namespace capf::testing
