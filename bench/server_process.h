// The `opencapf serve` process the issuance benchmark measures: started on a loopback port,
// optionally under `strace` to count its fsync/fdatasync calls, and read from /proc (CPU time of
// all its threads, memory). The same class runs the online benchmark's CFSSL server.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "capf/common/result.h"

namespace capf::bench {

// User + system CPU seconds a process (all its threads) has used so far: /proc/<pid>/stat fields
// 14 and 15.
double cpu_seconds(pid_t pid);
// This process's user + system CPU time, to the nanosecond (CLOCK_PROCESS_CPUTIME_ID): the
// simulated phones' figure, which a short run would round to nothing in /proc's 10 ms ticks.
double own_cpu_seconds();
// A /proc/<pid>/status field in KiB (VmRSS, VmHWM), or 0.
double proc_kib(pid_t pid, const std::string& field);

class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess() { kill_now(); }

  // Runs `binary serve --data DATA --listen 127.0.0.1:PORT`, its output in `log`, and waits until
  // it accepts connections. With a non-empty `fsync_log`, the server runs under
  // `strace -f --seccomp-bpf -e trace=fsync,fdatasync -o fsync_log` (only those two system calls
  // stop the server, so the overhead is a few context switches per fsync).
  Status start(const std::filesystem::path& binary, const std::filesystem::path& data,
               std::uint16_t port, const std::filesystem::path& log,
               const std::filesystem::path& fsync_log);
  // Runs any server, `words` (argv[0] looked up on PATH) with its output in `log`, and waits until
  // it accepts connections on 127.0.0.1:`port`.
  Status start_command(std::vector<std::string> words, std::uint16_t port,
                       const std::filesystem::path& log);
  // The server's own pid (not strace's).
  pid_t pid() const { return server_pid_; }
  // fsync and fdatasync calls the server has made so far; -1 when they are not counted.
  long fsyncs() const;
  void kill_now();

 private:
  Status wait_listening(std::uint16_t port, const std::filesystem::path& log);
  pid_t child_pid_ = -1;   // the forked process: strace, or the server itself
  pid_t server_pid_ = -1;  // the server
  std::filesystem::path fsync_log_;
};

// Runs `words` (argv[0] looked up on PATH) to its end, its output in `log`: its exit code (128 +
// the signal when one killed it), or kTimeout when it ran longer than `timeout` (it is killed).
Result<int> run_command(const std::vector<std::string>& words, const std::filesystem::path& log,
                        std::chrono::seconds timeout);

// The full path of the program `name` (strace, cfssl) on PATH, or empty.
std::filesystem::path find_on_path(const std::string& name);

}  // namespace capf::bench
