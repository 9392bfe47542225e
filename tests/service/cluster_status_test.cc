// The cluster report (`opencapf cluster status`, GET /api/v1/cluster): which nodes it lists (seen
// within the last minute), which claims (not expired), the registry it names, and its JSON.
#include "capf/service/cluster_status.h"

#include <gtest/gtest.h>

#include "capf/store/migrations.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

namespace capf::testing {
namespace {

using std::chrono::seconds;

const TimePoint kNow = from_unix(1'800'000'000);

class ClusterStatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = open_test_registry(tmp_.path(), clock_);
    ASSERT_TRUE(registry_);
  }

  void beat(const std::string& node, seconds ago, std::int64_t sessions = 0) {
    NodeHeartbeat h{node, "0.1.0", "0.0.0.0:3804", sessions, kNow - seconds(3600), kNow - ago};
    ASSERT_TRUE(registry_->heartbeat(h));
  }

  void claim(const std::string& device, const std::string& node, seconds expires_in) {
    auto r = registry_->claim_device(
        DeviceClaim{device, node, "00aa", kNow - seconds(5), kNow + expires_in});
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->granted);
  }

  ClusterReport report() {
    ClusterStatus status(*registry_, clock_, {"sqlite", "/var/lib/opencapf/registry.db"});
    auto r = status.report();
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : ClusterReport{};
  }

  TempDir tmp_;
  FakeClock clock_{kNow};
  std::unique_ptr<SqliteRegistry> registry_;
};

std::vector<std::string> node_names(const ClusterReport& r) {
  std::vector<std::string> names;
  for (const auto& n : r.nodes)
    names.push_back(n.node);
  return names;
}

TEST_F(ClusterStatusTest, ListsTheNodesSeenWithinTheLastMinute) {
  struct Case {
    const char* what;
    seconds age;
    bool listed;
  };
  const Case cases[] = {
      {"fresh node", seconds(0), true},
      {"one heartbeat late", seconds(25), true},
      {"exactly a minute", seconds(60), true},
      {"stale node", seconds(61), false},
      {"stopped an hour ago", seconds(3600), false},
  };
  for (const Case& c : cases) {
    beat(c.what, c.age);
    ClusterReport r = report();
    std::vector<std::string> names = node_names(r);
    EXPECT_EQ(std::find(names.begin(), names.end(), c.what) != names.end(), c.listed) << c.what;
  }
  EXPECT_EQ(node_names(report()),
            (std::vector<std::string>{"exactly a minute", "fresh node", "one heartbeat late"}));
}

TEST_F(ClusterStatusTest, ReportsWhatTheNodeSaidAndItsAge) {
  beat("capf-a", seconds(7), 3);
  ClusterReport r = report();
  ASSERT_EQ(r.nodes.size(), 1u);
  EXPECT_EQ(r.nodes[0].sessions, 3);
  EXPECT_EQ(r.nodes[0].listen, "0.0.0.0:3804");
  nlohmann::json j = cluster_status_json(r);
  EXPECT_EQ(j["nodes"][0]["node"], "capf-a");
  EXPECT_EQ(j["nodes"][0]["age_seconds"], 7);
  EXPECT_EQ(j["nodes"][0]["sessions"], 3);
  EXPECT_EQ(j["nodes"][0]["version"], "0.1.0");
  EXPECT_EQ(j["nodes"][0]["seen"], format_utc(kNow - seconds(7)));
  EXPECT_EQ(j["nodes"][0]["started"], format_utc(kNow - seconds(3600)));
}

TEST_F(ClusterStatusTest, ListsTheClaimsHeldNowNotTheExpiredOnes) {
  claim("SEP000000000002", "capf-b", seconds(60));
  claim("SEP000000000001", "capf-a", seconds(1));
  claim("SEP000000000003", "capf-a", seconds(-1));  // its node died: anyone may take it
  ClusterReport r = report();
  ASSERT_EQ(r.claims.size(), 2u);
  EXPECT_EQ(r.claims[0].device_name, "SEP000000000001");
  EXPECT_EQ(r.claims[1].device_name, "SEP000000000002");
  nlohmann::json j = cluster_status_json(r);
  EXPECT_EQ(j["claims"][1]["device"], "SEP000000000002");
  EXPECT_EQ(j["claims"][1]["node"], "capf-b");
  EXPECT_EQ(j["claims"][1]["session"], "00aa");
  EXPECT_EQ(j["claims"][1]["expires"], format_utc(kNow + seconds(60)));
  clock_.advance(seconds(2));
  EXPECT_EQ(report().claims.size(), 1u);
}

TEST_F(ClusterStatusTest, NamesTheRegistryAndItsSchema) {
  nlohmann::json j = cluster_status_json(report());
  EXPECT_EQ(j["registry"]["engine"], "sqlite");
  EXPECT_EQ(j["registry"]["location"], "/var/lib/opencapf/registry.db");
  EXPECT_EQ(j["schema_version"], latest_schema_version());
  EXPECT_GE(latest_schema_version(), 7);
  EXPECT_EQ(j["now"], format_utc(kNow));
  EXPECT_TRUE(j["nodes"].is_array() && j["nodes"].empty());
  EXPECT_TRUE(j["claims"].is_array() && j["claims"].empty());
}

}  // namespace
}  // namespace capf::testing
