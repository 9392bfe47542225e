// `opencapf bench --store URL [--nodes N]` against a throwaway PostgreSQL: what it refuses before
// anything runs (each refusal one line naming the fix, nothing written to the database), and a
// tiny run (a smoke test with tiny counts, not timed) that reports the SQLite baseline, one
// PostgreSQL node and two nodes sharing the phones.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/store/postgres_server.h"
#include "tests/support/shell.h"

namespace capf::testing {
namespace {

using ::testing::HasSubstr;

::testing::Environment* const kPostgresEnvironment =
    ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);

// Tiny counts: the run proves that every figure is there, not how fast anything is.
constexpr const char* kTiny =
    " --sessions 4 --concurrency 2 --parked 0 --fsync-sessions 0 --ceiling-seconds 1";

class BenchStore : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = PostgresServer::shared();
    ASSERT_TRUE(server) << server.error().message;
    postgres_ = *server;
    auto url = postgres_->new_database();
    ASSERT_TRUE(url) << url.error().message;
    url_ = *url;
  }
  ShellResult bench(const std::string& args) const {
    // No --work: the bench makes (and removes) its own data directory on disk under /var/tmp,
    // which --data-on disk needs whether or not /tmp is tmpfs.
    return run_shell(std::string(OPENCAPF_BINARY) + " bench" + args + " 2>&1");
  }
  // The number of tables in the test's database (none until a bench run made a cluster there).
  int tables() const {
    ShellResult r = run_shell("psql -Atq -d '" + url_ +
                              "' -c \"SELECT count(*) FROM information_schema.tables WHERE "
                              "table_schema NOT IN ('pg_catalog', 'information_schema')\" 2>&1");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return std::atoi(r.output.c_str());
  }

  PostgresServer* postgres_ = nullptr;
  std::string url_;
};

struct Refusal {
  const char* name;
  std::string args;  // after `bench`; {url} is the test's empty database
  int exit_code;     // 2: the command line is wrong; 1: what it names cannot be used
  const char* says;
};

TEST_F(BenchStore, RefusesWhatItCannotUseBeforeAnythingRuns) {
  const std::string port = std::to_string(postgres_->port());
  const std::vector<Refusal> cases = {
      {"nodes without a store", " --nodes 2", 2, "--nodes needs --store URL"},
      {"too many nodes", " --store '{url}' --nodes 4", 2, "--nodes must be 1, 2 or 3, not 4"},
      {"a password on the command line",
       " --store 'postgresql://postgres:secret@127.0.0.1:" + port + "/x'", 2, "password"},
      {"not a PostgreSQL URL", " --store 'mysql://127.0.0.1/x'", 2,
       "is not a PostgreSQL connection string"},
      {"nobody listening", " --store 'postgresql://postgres@127.0.0.1:1/x'", 1,
       "cannot connect to PostgreSQL at 'postgresql://postgres@127.0.0.1:1/x'"},
      {"no such database", " --store 'postgresql://postgres@127.0.0.1:" + port + "/absent'", 1,
       "database \"absent\" does not exist"},
  };
  for (const Refusal& c : cases) {
    SCOPED_TRACE(c.name);
    std::string args = c.args;
    if (auto at = args.find("{url}"); at != std::string::npos)
      args.replace(at, 5, url_);
    ShellResult r = bench(kTiny + args);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.output;
    EXPECT_THAT(r.output, HasSubstr(c.says));
  }
  EXPECT_EQ(tables(), 0) << "a refused run wrote to the database";
}

TEST_F(BenchStore, TwoNodesShareTheInstallsAndANonEmptyDatabaseIsRefused) {
  ShellResult r = bench(std::string(kTiny) + " --store '" + url_ + "' --nodes 2 --json");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json report = nlohmann::json::parse(r.output, nullptr, false);
  ASSERT_FALSE(report.is_discarded()) << r.output;
  EXPECT_EQ(report["succeeded"], 4) << r.output;  // the SQLite baseline
  EXPECT_EQ(report["store_url"], url_);
  // The SQLite baseline, one PostgreSQL node, two.
  const nlohmann::json& engines = report["engines"];
  ASSERT_EQ(engines.size(), 3u) << engines.dump(2);
  EXPECT_EQ(engines[0]["engine"], "sqlite");
  EXPECT_EQ(engines[0]["succeeded"], 4);
  for (std::size_t i = 1; i < engines.size(); ++i) {
    SCOPED_TRACE(engines[i].dump(2));
    const nlohmann::json& e = engines[i];
    EXPECT_EQ(e["engine"], "postgresql");
    EXPECT_EQ(e["nodes"], i);
    EXPECT_EQ(e["succeeded"], 4);
    EXPECT_GT(e["sessions_per_second"].get<double>(), 0);
    // CPU is counted in clock ticks (10 ms): a tiny run may count none, so the test checks
    // that the figures add up rather than that they are positive.
    const double cpu = e["server_cpu_seconds"].get<double>();
    EXPECT_NEAR(e["server_cpu_ms_per_session"].get<double>(), cpu * 1000 / 4, 1e-9);
    EXPECT_GT(e["ratio"].get<double>(), 0);
    // The phones' CPU is this process's own, counted to the nanosecond: never nothing.
    EXPECT_GT(e["phone_cpu_ms_per_session"].get<double>(), 0);
    ASSERT_EQ(e["per_node"].size(), i);
    int sessions = 0;
    double node_cpu = 0;
    for (const nlohmann::json& n : e["per_node"]) {
      // Round robin: with two nodes each serves half of the phones.
      EXPECT_EQ(n["sessions"], 4 / i);
      EXPECT_GE(n["cpu_seconds"].get<double>(), 0);
      EXPECT_DOUBLE_EQ(n["share"].get<double>(), 1.0 / static_cast<double>(i));
      node_cpu += n["cpu_seconds"].get<double>();
      sessions += n["sessions"].get<int>();
    }
    EXPECT_EQ(sessions, 4);
    EXPECT_NEAR(node_cpu, cpu, 1e-9);
  }
  EXPECT_GT(tables(), 0);

  // The database now holds that cluster: a second run refuses it, naming the fix.
  ShellResult again = bench(std::string(kTiny) + " --store '" + url_ + "'");
  EXPECT_EQ(again.exit_code, 1) << again.output;
  EXPECT_THAT(again.output, HasSubstr("is not empty"));
  EXPECT_THAT(again.output, HasSubstr("give it an empty database"));
}

}  // namespace
}  // namespace capf::testing
