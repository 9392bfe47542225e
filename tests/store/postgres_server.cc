#include "tests/store/postgres_server.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "capf/store/postgres/pg_connection.h"
#include "tests/support/child_process.h"

namespace capf::testing {
namespace {

namespace fs = std::filesystem;

std::unique_ptr<PostgresServer>& shared_server() {
  static std::unique_ptr<PostgresServer> server;
  return server;
}

// The newest /usr/lib/postgresql/N/bin with an initdb (Debian's layout), or $PG_BIN.
std::string find_bin_dir() {
  if (const char* bin = std::getenv("PG_BIN")) {
    return bin;
  }
  std::string best;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    fs::path bin = entry.path() / "bin";
    if (fs::exists(bin / "initdb") && bin.string() > best) {
      best = bin.string();
    }
  }
  return best;
}

std::string tail_of(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

}  // namespace

Result<PostgresServer*> PostgresServer::shared() {
  static std::mutex mu;
  std::lock_guard lock(mu);
  auto& server = shared_server();
  if (!server) {
    std::unique_ptr<PostgresServer> started(new PostgresServer());
    CAPF_TRY(started->start());
    server = std::move(started);
  }
  return server.get();
}

void PostgresServer::stop_shared() {
  shared_server().reset();
}

PostgresServer::~PostgresServer() {
  stop();
}

Status PostgresServer::run(const std::string& program, const std::string& args,
                           int timeout_seconds) {
  // initdb refuses to run as root: run the server's programs as postgres then.
  const std::string as_user = ::geteuid() == 0 ? "runuser -u postgres -- " : "";
  const fs::path log = dir_ / "commands.log";
  const std::string command = fmt::format("timeout {} {}{}/{} {} >>{} 2>&1", timeout_seconds,
                                          as_user, bin_, program, args, log.string());
  if (int status = std::system(command.c_str()); status != 0) {
    return make_error(ErrorCode::kUnavailable, "`{}` failed ({}): {}", command, status,
                      tail_of(log));
  }
  return ok();
}

Status PostgresServer::start() {
  bin_ = find_bin_dir();
  if (bin_.empty()) {
    return make_error(ErrorCode::kUnavailable,
                      "no PostgreSQL server found in /usr/lib/postgresql/*/bin: install the "
                      "postgresql package (scripts/install-deps.sh) or set PG_BIN");
  }
  if (::geteuid() == 0) {
    const passwd* pg = ::getpwnam("postgres");
    if (pg == nullptr || ::chown(dir_.path().c_str(), pg->pw_uid, pg->pw_gid) != 0) {
      return make_error(ErrorCode::kUnavailable, "cannot hand {} to the postgres user",
                        dir_.path().string());
    }
  }
  const fs::path data = dir_ / "data";
  CAPF_TRY(run("initdb",
               fmt::format("-D {} -A trust -U postgres -E UTF8 --locale=C.UTF-8 -N", data.string()),
               60));
  // A port that was free a moment ago can be taken by the time the server binds it: try again.
  Status started = ok();
  for (int attempt = 0; attempt < 3; ++attempt) {
    port_ = free_loopback_port();
    started =
        run("pg_ctl",
            fmt::format("-D {} -l {} -w -t 30 -o \"-c listen_addresses=127.0.0.1 -p {} -k {} "
                        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off\" "
                        "start",
                        data.string(), (dir_ / "server.log").string(), port_, dir_.path().string()),
            40);
    if (started) {
      running_ = true;
      return ok();
    }
  }
  return make_error(ErrorCode::kUnavailable, "{}\nserver log: {}", started.error().message,
                    tail_of(dir_ / "server.log"));
}

void PostgresServer::stop() {
  if (running_) {
    running_ = false;
    (void)run("pg_ctl", fmt::format("-D {} -m immediate -w -t 30 stop", (dir_ / "data").string()),
              40);
  }
}

Status PostgresServer::restart() {
  // pg_ctl restart starts the server with the options of the last start (postmaster.opts).
  return run("pg_ctl",
             fmt::format("-D {} -l {} -m fast -w -t 30 restart", (dir_ / "data").string(),
                         (dir_ / "server.log").string()),
             40);
}

std::string PostgresServer::url(std::string_view database) const {
  return fmt::format("postgresql://postgres@127.0.0.1:{}/{}", port_, database);
}

Status PostgresServer::run_sql(std::string_view database, const std::string& sql) {
  CAPF_ASSIGN_OR_RETURN(auto connection, PgConnection::open(url(database)));
  return connection->exec(sql, "running test SQL");
}

Result<std::string> PostgresServer::new_database() {
  std::string name;
  {
    std::lock_guard lock(mu_);
    name = fmt::format("capf_test_{}", ++databases_);
  }
  // FILE_COPY from the empty template0 is a few milliseconds with fsync off.
  CAPF_TRY(run_sql("postgres",
                   fmt::format("CREATE DATABASE {} TEMPLATE template0 STRATEGY FILE_COPY", name)));
  return url(name);
}

}  // namespace capf::testing
