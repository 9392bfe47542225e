// Failover (docs/cluster.md, "Claims and failover"): two `opencapf serve` nodes on one throwaway
// PostgreSQL with a short lease, simulated phones installing through both with a capfList
// (--server A --server B, --attempts), and node A killed with SIGKILL while it holds sessions. The
// phones that were talking to A retry on B, are refused as busy until A's claims lapse, then
// finish there: every device ends with exactly one installed LSC (the registry's LSC is the one
// the phone keeps, nothing pending), every certificate a phone holds is in the ledger, no claim
// remains, and each device A held shows its session as interrupted.
#include <signal.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/cluster_nodes.h"
#include "tests/store/postgres_server.h"
#include "tests/support/shell.h"

namespace capf::testing {
namespace {

using ::testing::HasSubstr;

::testing::Environment* const kPostgresEnvironment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

constexpr int kDevices = 16;
constexpr int kLeaseSeconds = 15;  // the smallest [cluster] lease_seconds
// Enough attempts, 300 ms apart, to outlast a lease of being refused as busy; each session holds
// its claim for the 4 s of key generation at least, so that node A still holds the claims the test
// saw when it kills A a `cluster status` later (CI once saw A's last claim, which ended before
// the kill).
constexpr const char* kPhoneOptions =
    "--timeout 5 --keygen-delay 4000 --attempts 80 --retry-delay 300";

class ClusterFailover : public ClusterTest {
 protected:
  static std::string device(int i) {
    return "SEP0000000000" + std::string(i < 10 ? "0" : "") + std::to_string(i);
  }
};

TEST_F(ClusterFailover, PhoneTriesTheNextServerWhenTheFirstIsClosed) {
  const std::string a = nodes_->start_node("capf-a");
  ASSERT_EQ(
      nodes_->cli("device set SEP000000000F01 --op install --auth null" + nodes_->data("capf-a"))
          .exit_code,
      0);
  ShellResult run = nodes_->run_phones(
      nodes_->phone("SEP000000000F01", "phone", {"127.0.0.1:1", a}, "--timeout 5 --attempts 2"),
      30);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const std::string out = nodes_->phone_out("phone");
  EXPECT_EQ(nodes_->phone_rc("phone"), "0") << out;
  EXPECT_THAT(out, HasSubstr("attempt 1 of 2 failed: cannot connect to 127.0.0.1:1"));
  EXPECT_THAT(out, HasSubstr("retrying on " + a));
  EXPECT_THAT(out, HasSubstr("installed LSC serial"));
  EXPECT_NE(nodes_->phone_lsc_serial("phone"), "");
}

TEST_F(ClusterFailover, KillNineOfANodeMidInstallPhonesFinishOnTheOther) {
  // When each step happened, printed if the kill missed A's sessions (a loaded machine).
  const auto start = std::chrono::steady_clock::now();
  std::string timeline;
  auto mark = [&](const std::string& what) {
    timeline += std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count()) +
                " ms: " + what + "\n";
  };
  const std::string a = nodes_->start_node("capf-a", kLeaseSeconds, 1);
  const std::string b = nodes_->start_node("capf-b", kLeaseSeconds, 1);
  mark("both nodes accept connections");
  std::string csv = "device_name,operation,auth_mode\n";
  std::string phones;
  for (int i = 0; i < kDevices; ++i) {
    csv += device(i) + ",install,null\n";
    phones += nodes_->phone(device(i), device(i),
                            i % 2 == 0 ? std::vector{a, b} : std::vector{b, a}, kPhoneOptions);
  }
  ASSERT_TRUE(write_file_atomically(nodes_->dir() / "devices.csv", csv, FileMode::kUmask));
  ShellResult imported = nodes_->cli("device import " + (nodes_->dir() / "devices.csv").string() +
                                     nodes_->data("capf-b"));
  ASSERT_EQ(imported.exit_code, 0) << imported.output;
  mark("devices imported");

  ShellResult run;
  std::thread phones_thread([&] { run = ClusterNodes::run_phones(phones, 240); });

  // Node A dies while it holds sessions: its claims stay in the registry until they lapse.
  nodes_->wait_for_claims("capf-b", "capf-a", 120);
  mark("claims of A seen");
  nodes_->signal_node("capf-a", SIGKILL);
  const std::set<std::string> held_by_a = nodes_->claims("capf-b", "capf-a");
  mark("A killed holding " + std::to_string(held_by_a.size()) + " claims");
  phones_thread.join();
  mark("phones done");
  ASSERT_FALSE(held_by_a.empty()) << "node A held no session when it was killed; phone "
                                  << device(0) << " said:\n"
                                  << nodes_->phone_out(device(0)) << "node A's log:\n"
                                  << read_file(nodes_->log("capf-a")).value_or("") << "timeline:\n"
                                  << timeline;
  ASSERT_EQ(run.exit_code, 0) << run.output << "timeline:\n" << timeline;

  for (int i = 0; i < kDevices; ++i) {
    SCOPED_TRACE(device(i));
    // The ledger keeps a certificate A issued and recorded whose phone never stored it (A died
    // between the ledger commit and the phone's answer); it is not the device's LSC.
    nlohmann::json shown = nodes_->expect_installed(device(i), device(i), "capf-b");
    for (const auto& cert :
         nodes_->cli_json("cert list --json --device " + device(i) + nodes_->data("capf-b"))) {
      if (cert["serial"] != shown["lsc"]["serial"])
        std::cout << device(i) << ": also in the ledger: " << cert.dump() << "\n";
    }

    // The session A did not finish is in the history as interrupted.
    bool interrupted = false;
    for (const auto& event : shown["history"]) {
      const std::string detail = event["detail"].get<std::string>();
      if (detail.find("interrupted") != std::string::npos) {
        interrupted = true;
        EXPECT_THAT(detail, HasSubstr("on node capf-a did not finish"));
      }
    }
    EXPECT_EQ(interrupted, held_by_a.count(device(i)) == 1) << shown["history"].dump(2);
  }

  // Every session ended, so no claim remains.
  EXPECT_TRUE(nodes_->claims("capf-b").empty());
}

}  // namespace
}  // namespace capf::testing
