// A cluster's shared state (cluster_sync.h) with the real `opencapf` binary on a throwaway
// PostgreSQL: `init` of the first node publishes its CAPF identity and [issuer] settings; `init` of
// a second node with the same --store joins (the same certificate and key, no new one); a joining
// node with a wrong or missing cluster passphrase is refused in one line with nothing written; and
// `ca regenerate` and `issuer set` on the first node reach the second, running node without a
// restart. Each node's opencapf.toml records the registry's URL.
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "capf/common/file.h"
#include "capf/daemon/daemon.h"
#include "capf/daemon/environment.h"
#include "tests/store/postgres_server.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace capf::testing {
namespace {

using ::testing::HasSubstr;

::testing::Environment* const kPostgresEnvironment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

constexpr const char* kPassphrase = "the cluster's passphrase";

class ClusterJoin : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = PostgresServer::shared();
    ASSERT_TRUE(server.has_value()) << server.error().message;
    auto url = (*server)->new_database();
    ASSERT_TRUE(url.has_value()) << url.error().message;
    url_ = *url;
    ::setenv("OPENCAPF_STORE", url_.c_str(), 1);  // for the commands and the in-process node
    ::unsetenv("OPENCAPF_CLUSTER_PASSPHRASE");
  }
  void TearDown() override {
    ::unsetenv("OPENCAPF_STORE");
    ::unsetenv("OPENCAPF_CLUSTER_PASSPHRASE");
  }

  // A data directory with the cluster passphrase file a node reads ([cluster] passphrase_file).
  std::filesystem::path node(const std::string& name, const std::string& passphrase) {
    const std::filesystem::path dir = dir_.path() / name;
    std::filesystem::create_directories(dir);
    if (!passphrase.empty())
      std::ofstream(dir / "cluster-passphrase") << passphrase << "\n";
    return dir;
  }
  static ShellResult opencapf(const std::string& args) {
    return run_shell(std::string(OPENCAPF_BINARY) + " " + args);
  }
  static CapfIdentity identity_of(const std::filesystem::path& dir) {
    auto env = Environment::open(dir);
    EXPECT_TRUE(env.has_value()) << env.error().message;
    auto id = (*env)->load_identity();
    EXPECT_TRUE(id.has_value()) << id.error().message;
    return std::move(id).value();
  }
  // Waits (at most 20 s) until `done` holds.
  static bool eventually(const std::function<bool()>& done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < until) {
      if (done())
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return done();
  }

  TempDir dir_;
  std::string url_;
};

TEST_F(ClusterJoin, TheSecondNodeJoinsAndARunningNodeTakesUpChangesWithoutARestart) {
  const auto a = node("a", kPassphrase);
  auto first = opencapf("init --data " + a.string() + " --key ec:p256");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_THAT(first.output, HasSubstr("published the CAPF identity"));

  const auto b = node("b", kPassphrase);
  auto second = opencapf("init --data " + b.string() + " --key ec:p384");
  ASSERT_EQ(second.exit_code, 0) << second.output;
  EXPECT_THAT(second.output, HasSubstr("joined the cluster"));
  const CapfIdentity on_a = identity_of(a);
  const CapfIdentity on_b = identity_of(b);
  EXPECT_EQ(on_b.certificate.fingerprint_sha256(), on_a.certificate.fingerprint_sha256());
  EXPECT_EQ(on_b.key.spki_der(), on_a.key.spki_der());  // no new key (nor --key's P-384)
  EXPECT_THAT(second.output, HasSubstr(on_a.certificate.fingerprint_sha256()));
  // Both data directories record the registry, so `serve` needs no --store afterwards.
  for (const auto& dir : {a, b}) {
    EXPECT_THAT(read_file(dir / "opencapf.toml").value_or(""), HasSubstr("url = \"" + url_ + "\""))
        << dir;
  }

  // B runs; A regenerates its identity and switches to offline mode.
  auto env = Environment::open(b);
  ASSERT_TRUE(env.has_value()) << env.error().message;
  auto daemon = Daemon::create(**env, DaemonOverrides{{"127.0.0.1:0"}, std::nullopt, ""});
  ASSERT_TRUE(daemon.has_value()) << daemon.error().message;
  ASSERT_TRUE((*daemon)->start());
  auto regenerated = opencapf("ca regenerate --data " + a.string());
  ASSERT_EQ(regenerated.exit_code, 0) << regenerated.output;
  const CapfIdentity renewed = identity_of(a);
  ASSERT_NE(renewed.certificate.fingerprint_sha256(), on_a.certificate.fingerprint_sha256());
  auto holder = (*env)->identity();
  ASSERT_TRUE(holder.has_value());
  EXPECT_TRUE(eventually([&] { return (*holder)->current()->certificate == renewed.certificate; }))
      << "the running node B still uses " << (*holder)->current()->certificate.subject();
  EXPECT_EQ(identity_of(b).key.spki_der(), renewed.key.spki_der());

  const std::filesystem::path root = dir_.path() / "offline-root.pem";
  auto made = run_shell(
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
      "-keyout " +
      (dir_.path() / "offline-root.key").string() + " -out " + root.string() +
      " -subj '/CN=Offline Root' -days 30 -addext "
      "basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign");
  ASSERT_EQ(made.exit_code, 0) << made.output;
  for (const char* store : {"capf-trust", "callmanager-trust"}) {
    auto trusted = opencapf("trust add --data " + a.string() + " " + store + " " + root.string());
    ASSERT_EQ(trusted.exit_code, 0) << trusted.output;
  }
  auto switched =
      opencapf("issuer set --data " + a.string() + " --mode offline --ca-chain " + root.string());
  ASSERT_EQ(switched.exit_code, 0) << switched.output;
  EXPECT_TRUE(eventually([&] {
    auto config = load_issuer_config(b);
    return config && config->mode == IssuerMode::kOffline;
  })) << "node B's opencapf.toml did not change to offline mode";
  EXPECT_TRUE(std::filesystem::exists(b / "issuer-offline-chain.pem"));
  (*daemon)->stop();
}

TEST_F(ClusterJoin, AJoiningNodeWithoutTheRightPassphraseIsRefusedWithNothingWritten) {
  const auto a = node("a", kPassphrase);
  auto first = opencapf("init --data " + a.string() + " --key ec:p256");
  ASSERT_EQ(first.exit_code, 0) << first.output;

  struct Case {
    const char* name;
    std::string passphrase;  // "" : no passphrase file
    const char* message;
  };
  const Case cases[] = {
      {"wrong passphrase", "not the cluster's",
       "this node's cluster passphrase does not decrypt the CAPF key in the database: give it "
       "the passphrase of the first node"},
      {"no passphrase file", "", "no cluster passphrase: write it (the same on every node)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const auto joining =
        node(std::string("c-") + (c.passphrase.empty() ? "none" : "wrong"), c.passphrase);
    auto refused = opencapf("init --data " + joining.string());
    EXPECT_EQ(refused.exit_code, 1) << refused.output;
    EXPECT_THAT(refused.output, HasSubstr(c.message));
    EXPECT_EQ(std::count(refused.output.begin(), refused.output.end(), '\n'), 1) << refused.output;
    EXPECT_FALSE(std::filesystem::exists(joining / "opencapf.toml"));
    EXPECT_FALSE(std::filesystem::exists(joining / "capf-cert.pem"));
  }
}

}  // namespace
}  // namespace capf::testing
