// PostgresServer: a throwaway PostgreSQL for the tests of one binary, started on first use
// (initdb and pg_ctl in a temporary directory, as the postgres user when the tests run as root,
// listening on a free 127.0.0.1 port with fsync off) and stopped at the end by
// PostgresEnvironment. Each test gets its own empty database from new_database().
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "capf/common/result.h"
#include "tests/support/temp_dir.h"

namespace capf::testing {

class PostgresServer {
 public:
  // The binary's server, started on first use; its error when it cannot start (no PostgreSQL
  // installed, initdb or start failed: the message carries the server log's end).
  static Result<PostgresServer*> shared();
  // Stops the shared server, if it was started.
  static void stop_shared();

  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // postgresql://postgres@127.0.0.1:PORT/DATABASE
  std::string url(std::string_view database) const;
  std::uint16_t port() const { return port_; }
  // A new empty database (capf_test_1, capf_test_2, ...); its URL.
  Result<std::string> new_database();
  // Restarts the server (pg_ctl restart -m fast: every connection is cut, the same port and data
  // after), for tests of a lost database connection. The shared server serves every test of its
  // binary: restart it only from a binary of its own.
  Status restart();
  // Runs SQL (one or more statements) in `database` as the superuser.
  Status run_sql(std::string_view database, const std::string& sql);

 private:
  PostgresServer() = default;
  Status start();
  void stop();
  // Runs a server program (initdb, pg_ctl) as the server's user, bounded by `timeout`.
  Status run(const std::string& program, const std::string& args, int timeout_seconds);

  TempDir dir_;
  std::string bin_;
  std::uint16_t port_ = 0;
  bool running_ = false;
  std::mutex mu_;
  int databases_ = 0;
};

// Stops the shared server when the test binary ends (registered by each PostgreSQL test file).
class PostgresEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { PostgresServer::stop_shared(); }
};

}  // namespace capf::testing
