// The shared cluster settings' values (cluster_sync.h): the CAPF identity with its key encrypted
// under the cluster passphrase and read back only with it, every bad value refused in one line
// naming the fix with nothing written, the cluster passphrase's sources, and the [issuer] settings
// with their chain files.
#include "capf/service/cluster_sync.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>
#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include "capf/service/identity_admin.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace capf::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kPassphrase = "correct horse battery staple";

class ClusterSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::unsetenv("OPENCAPF_CLUSTER_PASSPHRASE");
    auto config = Config::parse("", dir_.path());
    ASSERT_TRUE(config) << config.error().message;
    config_ = *config;
  }
  void TearDown() override { ::unsetenv("OPENCAPF_CLUSTER_PASSPHRASE"); }

  // The same identity for a slot throughout the binary (certificates carry random serials).
  static const CapfIdentity& identity(int slot) {
    static std::map<int, CapfIdentity> made;
    if (!made.contains(slot)) {
      const pki::PrivateKey& key = pki::testing::ec_key(slot);
      made.emplace(slot, CapfIdentity{pki::testing::test_capf_certificate(key), key, {}});
    }
    return made.at(slot);
  }
  static std::string encoded(int slot = 0) {
    auto value = encode_identity(identity(slot), {identity(slot + 1).certificate}, "", kPassphrase);
    EXPECT_TRUE(value) << value.error().message;
    return value ? *value : "";
  }

  TempDir dir_;
  Config config_;
};

TEST_F(ClusterSyncTest, TheIdentityRoundTripsWithTheKeyOnlyEncrypted) {
  const std::string value = encoded();
  EXPECT_THAT(value, HasSubstr("ENCRYPTED PRIVATE KEY"));
  EXPECT_THAT(value, Not(HasSubstr("BEGIN PRIVATE KEY")));
  auto shared = decode_identity(value, kPassphrase);
  ASSERT_TRUE(shared) << shared.error().message;
  EXPECT_EQ(shared->certificate, identity(0).certificate);
  ASSERT_TRUE(shared->key.has_value());
  EXPECT_EQ(shared->key->spki_der(), identity(0).key.spki_der());
  ASSERT_EQ(shared->previous.size(), 1u);
  EXPECT_EQ(shared->previous.front(), identity(1).certificate);
  EXPECT_TRUE(shared->key_uri.empty());
}

TEST_F(ClusterSyncTest, ATokenKeyTravelsAsItsUriAlone) {
  const std::string uri = "pkcs11:token=capf;object=capf-key";
  auto value = encode_identity(identity(0), {}, uri, kPassphrase);
  ASSERT_TRUE(value) << value.error().message;
  EXPECT_THAT(*value, Not(HasSubstr("PRIVATE KEY")));
  auto shared = decode_identity(*value, "any passphrase: none is needed");
  ASSERT_TRUE(shared) << shared.error().message;
  EXPECT_EQ(shared->key_uri, uri);
  EXPECT_FALSE(shared->key.has_value());
}

// Each bad value: its error code and the line that names it (and the fix).
TEST_F(ClusterSyncTest, BadIdentityValuesAreRefusedInOneLineNamingTheFix) {
  using Edit = std::function<void(nlohmann::json&)>;
  struct Case {
    const char* name;
    std::string value;
    std::string_view passphrase;
    ErrorCode code;
    const char* message;
  };
  auto edited = [&](const Edit& edit) {
    auto json = nlohmann::json::parse(encoded());
    edit(json);
    return json.dump();
  };
  const std::string other_key = *identity(2).key.to_pem(kPassphrase);
  const Case cases[] = {
      {"wrong passphrase", encoded(), "not the passphrase", ErrorCode::kPermissionDenied,
       "does not decrypt the CAPF key in the database: give it the passphrase of the first node"},
      {"not JSON", "{truncated", kPassphrase, ErrorCode::kInvalidArgument,
       "is corrupt: it is not JSON; run `opencapf ca regenerate`"},
      {"another format", edited([](auto& j) { j["format"] = 2; }), kPassphrase,
       ErrorCode::kInvalidArgument, "is corrupt: format 2 is not 1"},
      {"no certificate", edited([](auto& j) { j.erase("certificate"); }), kPassphrase,
       ErrorCode::kInvalidArgument, "lacks the certificate, chain, previous certificates or key"},
      {"no key", edited([](auto& j) { j.erase("key"); }), kPassphrase, ErrorCode::kInvalidArgument,
       "lacks the certificate, chain, previous certificates or key"},
      {"a certificate that does not parse",
       edited([](auto& j) { j["certificate"] = "-----BEGIN CERTIFICATE-----\nAAAA\n"; }),
       kPassphrase, ErrorCode::kInvalidArgument, "its certificate does not parse"},
      {"a chain entry that is not a certificate",
       edited([](auto& j) { j["chain"] = nlohmann::json::array({"junk"}); }), kPassphrase,
       ErrorCode::kInvalidArgument, "its chain holds something that is not a certificate"},
      {"an unencrypted key",
       edited([](auto& j) { j["key"] = *identity(0).key.to_pem(std::nullopt); }), kPassphrase,
       ErrorCode::kInvalidArgument, "its key is not an encrypted PKCS#8 key"},
      {"the key of another certificate", edited([&](auto& j) { j["key"] = other_key; }),
       kPassphrase, ErrorCode::kInvalidArgument, "its key is not the key of CN=CAPF-1a2b3c4d"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto shared = decode_identity(c.value, c.passphrase);
    ASSERT_FALSE(shared);
    EXPECT_EQ(shared.error().code, c.code);
    EXPECT_THAT(shared.error().message, HasSubstr(c.message));
    EXPECT_THAT(shared.error().message, Not(HasSubstr("\n")));
  }
}

TEST_F(ClusterSyncTest, ThePassphraseComesFromTheEnvironmentOrTheFileElseTheErrorNamesBoth) {
  auto missing = cluster_passphrase(config_);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  EXPECT_THAT(missing.error().message,
              HasSubstr("no cluster passphrase: write it (the same on every node) as the first "
                        "line of " +
                        (dir_.path() / "cluster-passphrase").string()));
  EXPECT_THAT(missing.error().message, HasSubstr("or set OPENCAPF_CLUSTER_PASSPHRASE"));

  std::ofstream(dir_.path() / "cluster-passphrase") << "\n";
  EXPECT_FALSE(cluster_passphrase(config_)) << "an empty first line is no passphrase";

  std::ofstream(dir_.path() / "cluster-passphrase") << "from the file\r\nsecond line\n";
  auto from_file = cluster_passphrase(config_);
  ASSERT_TRUE(from_file) << from_file.error().message;
  EXPECT_EQ(*from_file, "from the file");

  ::setenv("OPENCAPF_CLUSTER_PASSPHRASE", "from the environment", 1);
  auto from_env = cluster_passphrase(config_);
  ASSERT_TRUE(from_env);
  EXPECT_EQ(*from_env, "from the environment");
}

TEST_F(ClusterSyncTest, ApplyingABadIdentityWritesNothing) {
  const IdentityPaths paths = identity_paths_of(config_);
  auto no_passphrase = apply_identity_value(config_, encoded());
  ASSERT_FALSE(no_passphrase);
  EXPECT_THAT(no_passphrase.error().message, HasSubstr("no cluster passphrase"));
  ::setenv("OPENCAPF_CLUSTER_PASSPHRASE", "wrong", 1);
  auto wrong = apply_identity_value(config_, encoded());
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kPermissionDenied);
  EXPECT_FALSE(std::filesystem::exists(paths.cert));
  EXPECT_FALSE(std::filesystem::exists(paths.key));
}

TEST_F(ClusterSyncTest, ApplyingTheIdentityWritesTheNodesFilesOnceAndTheyLoad) {
  ::setenv("OPENCAPF_CLUSTER_PASSPHRASE", std::string(kPassphrase).c_str(), 1);
  auto written = apply_identity_value(config_, encoded());
  ASSERT_TRUE(written) << written.error().message;
  EXPECT_EQ(*written, Applied::kWritten);
  auto loaded = load_identity(identity_paths_of(config_), std::nullopt);
  ASSERT_TRUE(loaded) << loaded.error().message;  // the key as this node stores it: plain
  EXPECT_EQ(loaded->certificate, identity(0).certificate);
  auto again = apply_identity_value(config_, encoded());
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, Applied::kUnchanged);
}

TEST_F(ClusterSyncTest, TheIssuerTravelsWithItsChainFileWrittenWhereTheNodeLacksIt) {
  // Node A: offline mode with a chain file of its own.
  const std::filesystem::path a_chain = dir_.path() / "a-chain.pem";
  std::ofstream(a_chain) << identity(0).certificate.pem();
  Config a = config_;
  a.issuer.mode = IssuerMode::kOffline;
  a.issuer.offline.ca_chain_file = a_chain.string();
  auto value = encode_issuer(a);
  ASSERT_TRUE(value) << value.error().message;

  // Node B has no such file: it gets a copy in its data directory.
  TempDir b_dir;
  auto b = Config::parse("", b_dir.path());
  ASSERT_TRUE(b);
  auto on_b = decode_issuer(*value, *b);
  ASSERT_TRUE(on_b) << on_b.error().message;
  EXPECT_EQ(on_b->config.mode, IssuerMode::kOffline);
  const std::filesystem::path copy = b_dir.path() / "issuer-offline-chain.pem";
  EXPECT_EQ(on_b->config.offline.ca_chain_file, copy.string());
  ASSERT_EQ(on_b->files.size(), 1u);
  EXPECT_EQ(on_b->files.front().first, copy);
  EXPECT_EQ(on_b->files.front().second, identity(0).certificate.pem());

  // Node A keeps its own file: nothing to write.
  auto on_a = decode_issuer(*value, a);
  ASSERT_TRUE(on_a);
  EXPECT_EQ(on_a->config.offline.ca_chain_file, a_chain.string());
  EXPECT_TRUE(on_a->files.empty());

  auto corrupt = decode_issuer("[]", *b);
  ASSERT_FALSE(corrupt);
  EXPECT_THAT(corrupt.error().message,
              HasSubstr("the shared [issuer] settings in the database (cluster setting issuer) "
                        "are corrupt: run `opencapf issuer set`"));
}

}  // namespace
}  // namespace capf::testing
