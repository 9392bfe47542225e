// GET /api/v1/cluster over real HTTPS against the real daemon: the running node's own heartbeat
// (it beats as it starts), the registry, the claims held now, and who may read it.
#include <nlohmann/json.hpp>

#include "capf/store/migrations.h"
#include "tests/api/api_fixture.h"

namespace capf::testing {
namespace {

using nlohmann::json;

class ClusterRoutesTest : public ApiFixture {};

TEST_F(ClusterRoutesTest, AViewerSeesTheRunningNodeTheRegistryAndTheClaims) {
  auto claimed = env_->registry().claim_device(
      DeviceClaim{"SEP001122334455", "other-node", "00ff", SystemClock().now(),
                  SystemClock().now() + std::chrono::seconds(60)});
  ASSERT_TRUE(claimed && claimed->granted);
  HttpResponse r = call("GET", "/api/v1/cluster", token(AdminRole::kViewer, "viewer"));
  ASSERT_EQ(r.status, 200) << r.body;
  json j = body_of(r);
  ASSERT_EQ(j["nodes"].size(), 1u) << r.body;
  const json& node = j["nodes"][0];
  EXPECT_EQ(node["node"], env_->config().node_name());
  EXPECT_EQ(node["version"], std::string(opencapf_version()));
  EXPECT_EQ(node["listen"], "127.0.0.1:" + std::to_string(daemon_->ports().front()));
  EXPECT_EQ(node["sessions"], 0);
  EXPECT_LE(node["age_seconds"].get<int>(), 15);
  EXPECT_EQ(j["registry"]["engine"], "sqlite");
  EXPECT_EQ(j["registry"]["location"], (data_ / "registry.db").string());
  EXPECT_EQ(j["schema_version"], latest_schema_version());
  ASSERT_EQ(j["claims"].size(), 1u);
  EXPECT_EQ(j["claims"][0]["device"], "SEP001122334455");
  EXPECT_EQ(j["claims"][0]["node"], "other-node");
}

TEST_F(ClusterRoutesTest, WithoutATokenItIsRefused) {
  HttpResponse r = call("GET", "/api/v1/cluster");
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(body_of(r).value("nodes", json()), json());
}

}  // namespace
}  // namespace capf::testing
