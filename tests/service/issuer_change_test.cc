// apply_issuer_change: what `opencapf issuer set` and PUT /api/v1/issuer ask for, on top of the
// [issuer] settings in use.
#include <gtest/gtest.h>

#include "capf/service/issuer_admin.h"

namespace capf {
namespace {

TEST(IssuerChangeTest, GivenSettingsReplaceAndOthersAreKept) {
  IssuerConfig config;
  config.online.url = "http://old:8888";
  config.online.profile = "phones";
  config.online.password_env = "CFSSL_KEY";
  IssuerChange change;
  change.mode = "online";
  change.protocol = "cfssl";
  change.ca_chain = "ca/chain.pem";
  change.password_file = "/etc/opencapf/key.hex";
  change.key_types = {"ec:p256"};
  change.timeout = 30;
  ASSERT_TRUE(apply_issuer_change(change, "/var/lib/opencapf", config));
  EXPECT_EQ(config.mode, IssuerMode::kOnline);
  EXPECT_EQ(config.online.protocol, OnlineProtocol::kCfssl);
  EXPECT_EQ(config.online.url, "http://old:8888");
  EXPECT_EQ(config.online.profile, "phones");
  EXPECT_EQ(config.online.ca_chain_file, "/var/lib/opencapf/ca/chain.pem");
  EXPECT_EQ(config.online.key_types, std::vector<std::string>{"ec:p256"});
  // A password file replaces the variable: one secret at a time.
  EXPECT_EQ(config.online.password_file, "/etc/opencapf/key.hex");
  EXPECT_EQ(config.online.password_env, "");
  EXPECT_EQ(config.online.timeout_seconds, 30);
  EXPECT_EQ(config.online.retries, 2);
  EXPECT_TRUE(config.offline.ca_chain_file.empty());
}

TEST(IssuerChangeTest, OfflineModeTakesTheChainAndKeyTypesForItself) {
  IssuerConfig config;
  config.online.ca_chain_file = "/online.pem";
  IssuerChange change;
  change.mode = "offline";
  change.ca_chain = "../ca/root.pem";
  change.key_types = {"rsa:2048"};
  ASSERT_TRUE(apply_issuer_change(change, "/data/capf", config));
  EXPECT_EQ(config.mode, IssuerMode::kOffline);
  EXPECT_EQ(config.offline.ca_chain_file, "/data/ca/root.pem");
  EXPECT_EQ(config.offline.key_types, std::vector<std::string>{"rsa:2048"});
  EXPECT_EQ(config.online.ca_chain_file, "/online.pem");
  EXPECT_TRUE(config.online.key_types.empty());
}

TEST(IssuerChangeTest, AnUnknownModeOrProtocolIsRefusedNamingIt) {
  IssuerConfig config;
  IssuerChange change;
  change.mode = "vault";
  Status s = apply_issuer_change(change, "/data", config);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message.find("vault"), std::string::npos);
  change.mode = "";
  EXPECT_FALSE(apply_issuer_change(change, "/data", config));
  change.mode = "online";
  change.protocol = "ldap";
  s = apply_issuer_change(change, "/data", config);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("ldap"), std::string::npos);
}

}  // namespace
}  // namespace capf
