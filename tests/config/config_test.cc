#include "capf/config/config.h"

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
