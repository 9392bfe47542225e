#include "capf/config/config.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace capf {
namespace {

TEST(Config, DefaultFileParsesToDefaults) {
  auto c = Config::parse(Config::default_file_text(), "/data");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->server.listen, std::vector<std::string>{"127.0.0.1:3804"});
  EXPECT_EQ(c->lsc.validity_days, 365);
  EXPECT_EQ(c->auth.max_string_attempts, 3);
  EXPECT_FALSE(c->server.legacy_tls);
  EXPECT_EQ(c->path_in_data("registry.db"), std::filesystem::path("/data/registry.db"));
  EXPECT_EQ(c->path_in_data("/abs/x"), std::filesystem::path("/abs/x"));
}

TEST(Config, ValuesOverride) {
  auto c = Config::parse(
      "[server]\nlisten = [\"[::1]:3804\", \"0.0.0.0:13804\"]\nlegacy_tls = true\n"
      "[lsc]\nvalidity_days = 730\n",
      "/d");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->server.listen.size(), 2u);
  EXPECT_TRUE(c->server.legacy_tls);
  EXPECT_EQ(c->lsc.validity_days, 730);
}

TEST(Config, ItlPublishing) {
  auto off = Config::parse("", "/d");
  ASSERT_TRUE(off);
  EXPECT_EQ(off->itl.publish_dir, "");
  EXPECT_FALSE(off->itl.publish_ctl);
  auto c = Config::parse("[itl]\npublish_dir = \"/srv/tftp\"\npublish_ctl = true\n", "/d");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->itl.publish_dir, "/srv/tftp");
  EXPECT_TRUE(c->itl.publish_ctl);
  EXPECT_EQ(c->path_in_data("tftp"), std::filesystem::path("/d/tftp"));
  auto bad = Config::parse("[itl]\npublish_ctl = \"yes\"\n", "/d");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("publish_ctl"), std::string::npos) << bad.error().message;
}

TEST(Config, ErrorsNameTheSettingAndTheRange) {
  auto c = Config::parse("[lsc]\nvalidity_days = 0\n", "/d");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("[lsc] validity_days = 0 is out of range: use 1 to 3650"),
            std::string::npos);
  c = Config::parse("[lsc]\nvalidity_days = \"a year\"\n", "/d");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("whole number"), std::string::npos);
  c = Config::parse("[server]\nlisten = [\"nowhere\"]\n", "/d");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("HOST:PORT"), std::string::npos);
  c = Config::parse("[server]\nlistne = []\n", "/d");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("unknown setting listne"), std::string::npos);
  c = Config::parse("[server\n", "/d");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("line 1"), std::string::npos);
  c = Config::parse("[capf]\npassphrase_file = \"a\"\npassphrase_env = \"B\"\n", "/d");
  ASSERT_FALSE(c);
  // A PIN in the key's URI would sit in a world-readable file (and, clustered, in the registry).
  for (const char* uri : {"pkcs11:token=capf;object=k;pin-value=1234",
                          "pkcs11:token=capf?pin-value=1", "pkcs11:token=capf;PIN-VALUE=1"}) {
    c = Config::parse(fmt::format("[capf]\nkey_file = \"{}\"\n", uri), "/d");
    ASSERT_FALSE(c) << uri;
    EXPECT_NE(c.error().message.find("[capf] key_file holds the token PIN"), std::string::npos)
        << c.error().message;
  }
  EXPECT_TRUE(Config::parse("[capf]\nkey_file = \"pkcs11:token=capf;object=k\"\n", "/d"));
}

TEST(Config, AdminApiSettings) {
  auto off = Config::parse(Config::default_file_text(), "/d");
  ASSERT_TRUE(off) << off.error().message;
  EXPECT_TRUE(off->admin.listen.empty());
  EXPECT_EQ(off->admin.max_body_kib, 1024);
  EXPECT_EQ(off->admin.auth_failures_per_minute, 10);
  auto on = Config::parse(
      "[admin]\nlisten = \"127.0.0.1:8443\"\ncert_file = \"a.pem\"\nkey_file = \"k.pem\"\n"
      "max_connections = 8\nrequest_timeout_seconds = 5\n",
      "/d");
  ASSERT_TRUE(on) << on.error().message;
  EXPECT_EQ(on->admin.listen, "127.0.0.1:8443");
  EXPECT_EQ(on->admin.cert_file, "a.pem");
  EXPECT_EQ(on->admin.max_connections, 8);
  EXPECT_EQ(on->admin.request_timeout_seconds, 5);
  auto half = Config::parse("[admin]\ncert_file = \"a.pem\"\n", "/d");
  ASSERT_FALSE(half);
  EXPECT_NE(half.error().message.find("set both cert_file and key_file"), std::string::npos);
  auto bad = Config::parse("[admin]\nlisten = \"nowhere\"\n", "/d");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("[admin] listen"), std::string::npos);
  auto unknown = Config::parse("[admin]\nport = 8443\n", "/d");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown setting port in [admin]"), std::string::npos);
}

// The per-address limits of both listeners: defaults, overrides, 0 for no limit, negative refused.
TEST(Config, PerAddressLimits) {
  auto d = Config::parse(Config::default_file_text(), "/d");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->server.max_connections_per_address, 32);
  EXPECT_EQ(d->server.max_handshakes_per_address, 8);
  EXPECT_EQ(d->admin.max_connections_per_address, 16);
  EXPECT_EQ(d->admin.max_handshakes_per_address, 8);
  auto set = Config::parse(
      "[server]\nmax_connections_per_address = 0\nmax_handshakes_per_address = 3\n"
      "[admin]\nmax_connections_per_address = 4\nmax_handshakes_per_address = 2\n",
      "/d");
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->server.max_connections_per_address, 0);
  EXPECT_EQ(set->server.max_handshakes_per_address, 3);
  EXPECT_EQ(set->admin.max_connections_per_address, 4);
  EXPECT_EQ(set->admin.max_handshakes_per_address, 2);
  for (const char* bad : {"[server]\nmax_connections_per_address = -1\n",
                          "[server]\nmax_handshakes_per_address = -1\n",
                          "[admin]\nmax_connections_per_address = -1\n",
                          "[admin]\nmax_handshakes_per_address = -1\n"}) {
    auto c = Config::parse(bad, "/d");
    ASSERT_FALSE(c) << bad;
    EXPECT_NE(c.error().message.find("_per_address = -1 is out of range: use 0 to"),
              std::string::npos)
        << c.error().message;
  }
}

TEST(Config, ClusterSettings) {
  auto d = Config::parse(Config::default_file_text(), "/d");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->cluster.lease_seconds, 60);
  EXPECT_EQ(d->cluster.heartbeat_seconds, 10);
  EXPECT_EQ(d->cluster.passphrase_file, "cluster-passphrase");
  EXPECT_FALSE(d->node_name().empty());  // the host name
  auto set = Config::parse("[cluster]\nnode_name = \"capf-b\"\nlease_seconds = 30\n", "/d");
  ASSERT_TRUE(set) << set.error().message;
  EXPECT_EQ(set->node_name(), "capf-b");
  EXPECT_EQ(set->cluster.lease_seconds, 30);
  // Each refused with the line that names what to change.
  const std::pair<const char*, const char*> bad[] = {
      {"[cluster]\nlease_seconds = 10\n", "[cluster] lease_seconds = 10 is out of range"},
      {"[cluster]\nheartbeat_seconds = 0\n", "[cluster] heartbeat_seconds = 0 is out of range"},
      {"[cluster]\nheartbeat_seconds = 31\n",
       "heartbeat_seconds = 31 is more than half of lease_seconds = 60"},
      {"[cluster]\nlease_seconds = 15\nheartbeat_seconds = 10\n",
       "heartbeat_seconds = 10 is more than half of lease_seconds = 15"},
  };
  for (const auto& [text, message] : bad) {
    auto c = Config::parse(text, "/d");
    ASSERT_FALSE(c) << text;
    EXPECT_NE(c.error().message.find(message), std::string::npos) << c.error().message;
  }
}

TEST(Config, HostPort) {
  auto hp = parse_host_port("[::1]:3804");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 3804);
  hp = parse_host_port("127.0.0.1:0");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->port, 0);
  EXPECT_FALSE(parse_host_port("127.0.0.1"));
  EXPECT_FALSE(parse_host_port("127.0.0.1:70000"));
  EXPECT_FALSE(parse_host_port("::1:3804"));
  EXPECT_FALSE(parse_host_port(":3804"));
}

TEST(Config, PassphraseFromEnvironment) {
  auto c = Config::parse("[capf]\npassphrase_env = \"OPENCAPF_TEST_PASS\"\n", "/d");
  ASSERT_TRUE(c);
  ::unsetenv("OPENCAPF_TEST_PASS");
  auto missing = c->key_passphrase();
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("OPENCAPF_TEST_PASS"), std::string::npos);
  ::setenv("OPENCAPF_TEST_PASS", "s3cret", 1);
  auto p = c->key_passphrase();
  ASSERT_TRUE(p);
  EXPECT_EQ(**p, "s3cret");
}

}  // namespace
}  // namespace capf

namespace capf {
namespace {

TEST(IssuerConfig, OnlineNeedsProtocolUrlAndChain) {
  auto c = parse_issuer_config("[issuer]\nmode = \"online\"\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("use adcs, scep, acme or cfssl"), std::string::npos);
  c = parse_issuer_config(
      "[issuer]\nmode = \"online\"\n[issuer.online]\nprotocol = \"cfssl\"\nurl = \"http://x\"\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("ca_chain_file is empty"), std::string::npos);
  c = parse_issuer_config(
      "[issuer]\nmode = \"online\"\n[issuer.online]\nprotocol = \"adcs\"\nurl = \"https://x\"\n"
      "ca_chain_file = \"c.pem\"\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("template and username"), std::string::npos);
  c = parse_issuer_config("[issuer]\nmode = \"sideways\"\n");
  ASSERT_FALSE(c);
  c = parse_issuer_config("[issuer.online]\nkey_types = [\"dsa:1024\"]\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("dsa:1024"), std::string::npos);
  c = parse_issuer_config("[issuer.online]\npasword_file = \"x\"\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("unknown setting pasword_file"), std::string::npos);
}

TEST(IssuerConfig, RewritingKeepsEveryOtherLine) {
  const std::string original =
      "# my notes\n[server]\nlisten = [\"0.0.0.0:3804\"]  # all\n\n[issuer]\nmode = \"capf\"\n\n"
      "[issuer.online]\nurl = \"old\"\n\n[log]\nlevel = \"debug\"\n";
  IssuerConfig c;
  c.mode = IssuerMode::kOnline;
  c.online.protocol = OnlineProtocol::kCfssl;
  c.online.url = "http://127.0.0.1:8888";
  c.online.ca_chain_file = "ca.pem";
  c.online.key_types = {"rsa:2048", "ec:p256"};
  c.online.password_env = "CFSSL_KEY";
  std::string updated = replace_issuer_sections(original, c);
  EXPECT_NE(updated.find("# my notes"), std::string::npos);
  EXPECT_NE(updated.find("listen = [\"0.0.0.0:3804\"]  # all"), std::string::npos);
  EXPECT_NE(updated.find("[log]\nlevel = \"debug\""), std::string::npos);
  EXPECT_EQ(updated.find("url = \"old\""), std::string::npos);
  auto parsed = Config::parse(updated, "/d");
  ASSERT_TRUE(parsed) << parsed.error().message << "\n" << updated;
  EXPECT_EQ(parsed->issuer.mode, IssuerMode::kOnline);
  EXPECT_EQ(parsed->issuer.online.url, "http://127.0.0.1:8888");
  EXPECT_EQ(parsed->issuer.online.key_types, (std::vector<std::string>{"rsa:2048", "ec:p256"}));
  EXPECT_EQ(parsed->server.listen, std::vector<std::string>{"0.0.0.0:3804"});
  EXPECT_EQ(parsed->log.level, "debug");
  // Rewriting again changes nothing.
  EXPECT_EQ(replace_issuer_sections(updated, c), updated);
}

}  // namespace
}  // namespace capf

namespace capf {
namespace {

TEST(IssuerConfig, ModesAndProtocolsAreReadOnceIntoTheirEnums) {
  for (IssuerMode m : {IssuerMode::kCapf, IssuerMode::kOnline, IssuerMode::kOffline}) {
    auto parsed = parse_issuer_mode(to_string(m));
    ASSERT_TRUE(parsed) << to_string(m);
    EXPECT_EQ(*parsed, m);
  }
  for (OnlineProtocol p : {OnlineProtocol::kAdcs, OnlineProtocol::kScep, OnlineProtocol::kAcme,
                           OnlineProtocol::kCfssl}) {
    auto parsed = parse_online_protocol(to_string(p));
    ASSERT_TRUE(parsed) << to_string(p);
    EXPECT_EQ(*parsed, p);
  }
  EXPECT_FALSE(parse_online_protocol(""));
  auto c = parse_issuer_config("[issuer]\nmode = \"sideways\"\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("use \"capf\", \"online\" or \"offline\""), std::string::npos);
  c = parse_issuer_config("[issuer.online]\nprotocol = \"est\"\n");
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find("protocol = \"est\": use adcs, scep, acme or cfssl"),
            std::string::npos);
  c = parse_issuer_config(
      "[issuer]\nmode = \"offline\"\n[issuer.offline]\nca_chain_file = \"c\"\n");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->mode, IssuerMode::kOffline);
  EXPECT_EQ(c->online.protocol, OnlineProtocol::kNone);
}

}  // namespace
}  // namespace capf
