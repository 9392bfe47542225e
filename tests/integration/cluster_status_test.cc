// Two `opencapf serve` processes on one throwaway PostgreSQL: each sends its heartbeat, and
// `opencapf cluster status` (text and --json) on either data directory lists both nodes, the
// PostgreSQL registry and its schema version.
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "capf/common/file.h"
#include "capf/store/migrations.h"
#include "tests/store/postgres_server.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace capf::testing {
namespace {

using ::testing::HasSubstr;

::testing::Environment* const kPostgresEnvironment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

constexpr const char* kPassphrase = "the status test passphrase";

// The binary with the cluster's registry and passphrase in its environment.
ShellResult opencapf(const std::string& url, const std::string& args) {
  return run_shell("OPENCAPF_STORE='" + url + "' OPENCAPF_CLUSTER_PASSPHRASE='" + kPassphrase +
                   "' " + OPENCAPF_BINARY + " " + args + " 2>&1");
}

// `opencapf serve --data DIR` in a process of its own, stopped (SIGTERM) when this ends.
class ServeProcess {
 public:
  ServeProcess(const std::string& url, const std::filesystem::path& data,
               const std::filesystem::path& log) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setenv("OPENCAPF_STORE", url.c_str(), 1);
      ::setenv("OPENCAPF_CLUSTER_PASSPHRASE", kPassphrase, 1);
      const std::string d = data.string();
      std::FILE* out = std::freopen(log.c_str(), "w", stderr);
      (void)out;
      ::execl(OPENCAPF_BINARY, OPENCAPF_BINARY, "serve", "--data", d.c_str(), "--listen",
              "127.0.0.1:0", "--admin", "", static_cast<char*>(nullptr));
      ::_exit(127);
    }
  }
  ~ServeProcess() {
    if (pid_ <= 0)
      return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  ServeProcess(const ServeProcess&) = delete;
  ServeProcess& operator=(const ServeProcess&) = delete;
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

class ClusterStatusCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<PostgresServer*> postgres = PostgresServer::shared();
    ASSERT_TRUE(postgres) << postgres.error().message;
    Result<std::string> database = (*postgres)->new_database();
    ASSERT_TRUE(database) << database.error().message;
    url_ = *database;
  }

  // An initialised data directory whose [cluster] node_name is `name`.
  std::filesystem::path node(const std::string& name) {
    const std::filesystem::path dir = dir_.path() / name;
    ShellResult init = opencapf(url_, "init --data " + dir.string() + " --key ec:p256");
    EXPECT_EQ(init.exit_code, 0) << init.output;
    auto toml = read_file(dir / "opencapf.toml");
    EXPECT_TRUE(toml.has_value());
    std::string text = toml ? *toml : std::string();
    const std::string blank = "node_name = \"\"";
    const std::size_t at = text.find(blank);
    EXPECT_NE(at, std::string::npos) << text;
    if (at != std::string::npos)
      text.replace(at, blank.size(), "node_name = \"" + name + "\"");
    std::ofstream(dir / "opencapf.toml") << text;
    return dir;
  }

  nlohmann::json status_json(const std::filesystem::path& dir) {
    ShellResult r = opencapf(url_, "cluster status --json --data " + dir.string());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return nlohmann::json::parse(r.output, nullptr, false);
  }

  TempDir dir_;
  std::string url_;
};

TEST_F(ClusterStatusCommand, TwoServersOnOnePostgresBothShow) {
  const std::filesystem::path a = node("capf-a");
  const std::filesystem::path b = node("capf-b");
  ServeProcess serve_a(url_, a, dir_.path() / "a.log");
  ServeProcess serve_b(url_, b, dir_.path() / "b.log");
  ASSERT_TRUE(serve_a.started() && serve_b.started());

  nlohmann::json j;
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    j = status_json(a);
  } while ((j.is_discarded() || j["nodes"].size() < 2) && std::chrono::steady_clock::now() < until);
  ASSERT_FALSE(j.is_discarded());
  ASSERT_EQ(j["nodes"].size(), 2u) << j.dump(2) << "\n"
                                   << read_file(dir_.path() / "a.log").value_or("") << "\n"
                                   << read_file(dir_.path() / "b.log").value_or("");
  EXPECT_EQ(j["nodes"][0]["node"], "capf-a");
  EXPECT_EQ(j["nodes"][1]["node"], "capf-b");
  for (const auto& n : j["nodes"]) {
    EXPECT_THAT(n["listen"].get<std::string>(), HasSubstr("127.0.0.1:"));
    EXPECT_EQ(n["sessions"], 0);
    EXPECT_LE(n["age_seconds"].get<int>(), 60);
  }
  EXPECT_EQ(j["registry"]["engine"], "postgresql");
  EXPECT_EQ(j["registry"]["location"], url_);
  EXPECT_EQ(j["schema_version"], latest_schema_version());
  EXPECT_TRUE(j["claims"].is_array());

  // The other data directory sees the same cluster; the text form names both nodes.
  EXPECT_EQ(status_json(b)["nodes"].size(), 2u);
  ShellResult text = opencapf(url_, "cluster status --data " + b.string());
  ASSERT_EQ(text.exit_code, 0) << text.output;
  EXPECT_THAT(text.output, HasSubstr("registry:        postgresql " + url_));
  EXPECT_THAT(text.output, HasSubstr("nodes seen in the last 60 s: 2"));
  EXPECT_THAT(text.output, HasSubstr("\ncapf-a "));
  EXPECT_THAT(text.output, HasSubstr("\ncapf-b "));
  EXPECT_THAT(text.output, HasSubstr("device claims held now: "));
}

TEST_F(ClusterStatusCommand, ANodeThatNeverRanIsNotListed) {
  const std::filesystem::path a = node("capf-a");
  nlohmann::json j = status_json(a);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_TRUE(j["nodes"].empty()) << j.dump(2);
  ShellResult text = opencapf(url_, "cluster status --data " + a.string());
  EXPECT_THAT(text.output, HasSubstr("nodes seen in the last 60 s: 0"));
}

}  // namespace
}  // namespace capf::testing
