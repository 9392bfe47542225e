// A node's heartbeat (NodePresence): it beats at once and then every heartbeat interval, records
// what the node says of itself, keeps the node's device claims from lapsing, and a registry that
// fails is logged once per outage, never fatal.
#include "capf/service/node_presence.h"

#include <gtest/gtest.h>

#include "tests/api/log_capture.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_registry.h"

namespace capf::testing {
namespace {

using std::chrono::seconds;

const TimePoint kStart = from_unix(1'800'000'000);

// The registry's cluster state, failing every call while `down`.
class FlakyCluster final : public ClusterState {
 public:
  explicit FlakyCluster(ClusterState& real) : real_(real) {}
  bool down = false;

  Result<ClaimResult> claim_device(const DeviceClaim& c) override {
    return down ? lost() : real_.claim_device(c);
  }
  Result<bool> renew_claim(const std::string& d, const std::string& n, const std::string& s,
                           TimePoint e) override {
    return down ? lost() : real_.renew_claim(d, n, s, e);
  }
  Status release_claim(const std::string& d, const std::string& n, const std::string& s) override {
    return down ? Status(lost()) : real_.release_claim(d, n, s);
  }
  Result<std::int64_t> extend_node_claims(const std::string& n, TimePoint e) override {
    return down ? lost() : real_.extend_node_claims(n, e);
  }
  Result<std::vector<DeviceClaim>> release_node_claims(const std::string& n) override {
    return down ? lost() : real_.release_node_claims(n);
  }
  Result<std::vector<DeviceClaim>> list_claims() override {
    return down ? lost() : real_.list_claims();
  }
  Status heartbeat(const NodeHeartbeat& h) override {
    return down ? Status(lost()) : real_.heartbeat(h);
  }
  Result<std::vector<NodeHeartbeat>> list_nodes(TimePoint since) override {
    return down ? lost() : real_.list_nodes(since);
  }
  Result<std::optional<ClusterSetting>> find_setting(const std::string& n) override {
    return down ? lost() : real_.find_setting(n);
  }
  Result<std::int64_t> put_setting(const std::string& n, const std::string& v,
                                   std::int64_t e) override {
    return down ? lost() : real_.put_setting(n, v, e);
  }
  Result<std::vector<ClusterSetting>> list_settings() override {
    return down ? lost() : real_.list_settings();
  }

 private:
  static Error lost() {
    return make_error(ErrorCode::kUnavailable, "the connection to PostgreSQL was lost");
  }
  ClusterState& real_;
};

class NodePresenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = open_test_registry(tmp_.path(), clock_);
    ASSERT_TRUE(registry_);
    cluster_ = std::make_unique<FlakyCluster>(*registry_);
    PresenceOptions o{"capf-a", "0.0.0.0:3804", kStart, seconds(10), seconds(60)};
    presence_ = std::make_unique<NodePresence>(*cluster_, clock_, o, [this] { return sessions_; });
  }

  std::optional<NodeHeartbeat> seen() {
    auto nodes = registry_->list_nodes(TimePoint{});
    EXPECT_TRUE(nodes) << nodes.error().message;
    if (!nodes || nodes->empty())
      return std::nullopt;
    return nodes->front();
  }

  TempDir tmp_;
  FakeClock clock_{kStart};
  std::unique_ptr<SqliteRegistry> registry_;
  std::unique_ptr<FlakyCluster> cluster_;
  std::int64_t sessions_ = 2;
  std::unique_ptr<NodePresence> presence_;
};

TEST_F(NodePresenceTest, BeatsAtOnceThenEveryInterval) {
  struct Step {
    seconds advance;
    bool beats;
  };
  const Step steps[] = {{seconds(0), true}, {seconds(1), false}, {seconds(8), false},
                        {seconds(1), true}, {seconds(9), false}, {seconds(30), true},
                        {seconds(-5), true}};  // the clock went back
  int i = 0;
  TimePoint last{};
  for (const Step& s : steps) {
    clock_.advance(s.advance);
    EXPECT_EQ(presence_->tick(), s.beats) << "step " << i++;
    if (s.beats)
      last = clock_.now();
    ASSERT_TRUE(seen());
    EXPECT_EQ(seen()->seen, last) << "step " << i;
  }
}

TEST_F(NodePresenceTest, RecordsWhatTheNodeSaysOfItself) {
  clock_.advance(seconds(42));
  ASSERT_TRUE(presence_->beat());
  auto h = seen();
  ASSERT_TRUE(h);
  EXPECT_EQ(h->node, "capf-a");
  EXPECT_EQ(h->version, opencapf_version());
  EXPECT_FALSE(opencapf_version().empty());
  EXPECT_EQ(h->listen, "0.0.0.0:3804");
  EXPECT_EQ(h->sessions, 2);
  EXPECT_EQ(h->started, kStart);
  EXPECT_EQ(h->seen, kStart + seconds(42));
  sessions_ = 0;
  ASSERT_TRUE(presence_->beat());
  EXPECT_EQ(seen()->sessions, 0);
}

TEST_F(NodePresenceTest, KeepsTheNodesClaimsFromLapsing) {
  auto mine = registry_->claim_device(
      DeviceClaim{"SEP000000000001", "capf-a", "01", kStart, kStart + seconds(60)});
  auto other = registry_->claim_device(
      DeviceClaim{"SEP000000000002", "capf-b", "02", kStart, kStart + seconds(60)});
  ASSERT_TRUE(mine && mine->granted && other && other->granted);
  for (int i = 0; i < 12; ++i) {  // two minutes of heartbeats
    clock_.advance(seconds(10));
    presence_->tick();
  }
  auto claims = registry_->list_claims();
  ASSERT_TRUE(claims) << claims.error().message;
  ASSERT_EQ(claims->size(), 2u);
  EXPECT_EQ((*claims)[0].expires, clock_.now() + seconds(60));  // capf-a's, extended
  EXPECT_EQ((*claims)[1].expires, kStart + seconds(60));        // capf-b's, untouched
}

TEST_F(NodePresenceTest, AnOutageIsLoggedOnceAndItsEndOnce) {
  api::LogCapture log;
  ASSERT_TRUE(presence_->beat());
  EXPECT_TRUE(presence_->healthy());
  cluster_->down = true;
  for (int i = 0; i < 3; ++i) {
    clock_.advance(seconds(10));
    EXPECT_TRUE(presence_->tick());
    EXPECT_FALSE(presence_->healthy());
  }
  Status failed = presence_->beat();
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().message, "the connection to PostgreSQL was lost");
  std::string text = log.text();
  EXPECT_EQ(text.find("warning cluster heartbeat of node capf-a failed"), 0u) << text;
  EXPECT_EQ(text.find("failed", text.find("failed") + 1), std::string::npos) << text;
  EXPECT_NE(text.find("the connection to PostgreSQL was lost"), std::string::npos) << text;
  cluster_->down = false;
  clock_.advance(seconds(10));
  EXPECT_TRUE(presence_->tick());
  EXPECT_TRUE(presence_->healthy());
  clock_.advance(seconds(10));
  EXPECT_TRUE(presence_->tick());
  text = log.text();
  EXPECT_NE(text.find("info cluster heartbeat of node capf-a restored"), std::string::npos);
  EXPECT_EQ(text.find("restored"), text.rfind("restored")) << text;
  EXPECT_EQ(seen()->seen, clock_.now());
}

}  // namespace
}  // namespace capf::testing
