#include "bench/server_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

namespace capf::bench {

namespace asio = boost::asio;

double proc_kib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field + ":", 0) == 0)
      return std::stod(line.substr(field.size() + 1));
  }
  return 0;
}

double own_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

double cpu_seconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto close = text.rfind(')');
  if (close == std::string::npos)
    return 0;
  std::istringstream rest(text.substr(close + 2));
  std::string field;
  double utime = 0, stime = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14)
      utime = std::stod(field);
    if (i == 15)
      stime = std::stod(field);
  }
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::filesystem::path find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::filesystem::path candidate = std::filesystem::path(dir) / name;
    if (!dir.empty() && access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return {};
}

namespace {

// The first child process of `parent` (/proc/<pid>/task/<pid>/children), or -1.
pid_t first_child(pid_t parent) {
  std::ifstream children(fmt::format("/proc/{}/task/{}/children", parent, parent));
  pid_t child = -1;
  if (children >> child)
    return child;
  return -1;
}

// Forks and runs `words` (argv[0] looked up on PATH) with its output in `log`; the child's pid, or
// -1 when fork failed.
pid_t spawn(std::vector<std::string> words, const std::filesystem::path& log) {
  std::vector<char*> argv;
  for (auto& w : words)
    argv.push_back(w.data());
  argv.push_back(nullptr);
  const pid_t bench = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // The server, CFSSL or init dies with the bench, even when the bench is killed outright
    // (and at once if the bench is gone already).
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != bench)
      _exit(127);
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 2);
      dup2(fd, 1);
    }
    execvp(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

Result<int> run_command(const std::vector<std::string>& words, const std::filesystem::path& log,
                        std::chrono::seconds timeout) {
  pid_t pid = spawn(words, log);
  if (pid < 0)
    return make_error(ErrorCode::kIo, "fork failed");
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) != pid) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return make_error(ErrorCode::kTimeout, "`{}` took over {} s; see {}", words.front(),
                        timeout.count(), log.string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

Status ServerProcess::start(const std::filesystem::path& binary, const std::filesystem::path& data,
                            std::uint16_t port, const std::filesystem::path& log,
                            const std::filesystem::path& fsync_log) {
  std::vector<std::string> words;
  if (!fsync_log.empty()) {
    std::filesystem::path strace = find_on_path("strace");
    if (strace.empty())
      return make_error(ErrorCode::kUnavailable, "counting fsyncs needs strace on PATH");
    words = {strace.string(), "-f", "--seccomp-bpf",    "-qq", "-e", "trace=fsync,fdatasync", "-e",
             "signal=none",   "-o", fsync_log.string(), "--"};
    fsync_log_ = fsync_log;
  }
  // OPENCAPF_BENCH_SERVER_PREFIX runs the server under a profiler, e.g. "heaptrack" or
  // "perf record -g --": its words come before the opencapf command line.
  if (const char* prefix = std::getenv("OPENCAPF_BENCH_SERVER_PREFIX")) {
    std::istringstream in(prefix);
    for (std::string w; in >> w;)
      words.push_back(w);
  }
  std::string listen = fmt::format("127.0.0.1:{}", port);
  for (const char* w :
       {binary.c_str(), "serve", "--data", data.c_str(), "--listen", listen.c_str()})
    words.emplace_back(w);
  return start_command(std::move(words), port, log);
}

Status ServerProcess::start_command(std::vector<std::string> words, std::uint16_t port,
                                    const std::filesystem::path& log) {
  child_pid_ = spawn(std::move(words), log);
  if (child_pid_ < 0)
    return make_error(ErrorCode::kIo, "fork failed");
  return wait_listening(port, log);
}

Status ServerProcess::wait_listening(std::uint16_t port, const std::filesystem::path& log) {
  for (int i = 0; i < 200; ++i) {
    asio::io_context io;
    asio::ip::tcp::socket s(io);
    boost::system::error_code ec;
    s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    if (!ec) {
      // Under strace the server is strace's child; the profiler prefix is measured as it is.
      server_pid_ = fsync_log_.empty() ? child_pid_ : first_child(child_pid_);
      if (server_pid_ > 0)
        return ok();
    }
    int status = 0;
    if (waitpid(child_pid_, &status, WNOHANG) == child_pid_) {
      child_pid_ = -1;
      return make_error(ErrorCode::kUnavailable, "the server exited at start; see {}",
                        log.string());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return make_error(ErrorCode::kTimeout, "the server did not start listening; see {}",
                    log.string());
}

long ServerProcess::fsyncs() const {
  if (fsync_log_.empty())
    return -1;
  std::ifstream in(fsync_log_);
  long count = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find("fsync(") != std::string::npos || line.find("fdatasync(") != std::string::npos)
      ++count;
  }
  return count;
}

void ServerProcess::kill_now() {
  // The server first: strace killed first would detach and leave it running.
  if (server_pid_ > 0 && server_pid_ != child_pid_)
    ::kill(server_pid_, SIGKILL);
  if (child_pid_ > 0) {
    ::kill(child_pid_, SIGKILL);
    waitpid(child_pid_, nullptr, 0);
  }
  server_pid_ = child_pid_ = -1;
}

}  // namespace capf::bench
