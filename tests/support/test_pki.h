// Helpers for the pki tests: a temporary directory, the openssl command line, and keys generated
// once per test binary (generation is the slow part; every test still gets fresh run-time keys).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "capf/common/bytes.h"
#include "capf/common/clock.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"
#include "tests/common/temp_dir.h"

namespace capf::pki::testing {

using TempDir = capf::testing::TempDir;

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs a shell command (the test builds it only from its own file names).
CommandResult run(const std::string& command);

// Fresh keys made at run time, cached per (spec, slot) so that tests do not wait for RSA
// generation over and over. Different slots are different keys.
const PrivateKey& test_key(KeySpec spec, int slot = 0);
inline const PrivateKey& rsa_key(int slot = 0) {
  return test_key({KeyType::kRsa, 2048}, slot);
}
inline const PrivateKey& ec_key(int slot = 0) {
  return test_key({KeyType::kEc, 256}, slot);
}

// The fixed "now" of the tests: 2026-03-01T00:00:00Z.
TimePoint test_now();

// The LSC of the docs/protocol.md §12 test vector (474 bytes, EC P-256, older profile without
// SKI/AKI).
Bytes vector_lsc_der();
// The issuer key of that vector (P-256 scalar 0x2222...22).
PrivateKey vector_issuer_key();

// Bytes from a hex string with optional spaces.
Bytes hex(std::string_view text);

}  // namespace capf::pki::testing
