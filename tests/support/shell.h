// run_shell: runs a command line through /bin/sh for a test (openssl, curl, a CLI under test) and
// returns its exit status and everything it printed. The tests build commands from their own file
// names only; the tools' own timeouts bound the time.
#pragma once

#include <string>

namespace capf::testing {

struct ShellResult {
  int exit_code = -1;  // -1 when the command could not start or was killed by a signal
  std::string output;  // stdout and stderr together, in order
};

ShellResult run_shell(const std::string& command);

}  // namespace capf::testing
