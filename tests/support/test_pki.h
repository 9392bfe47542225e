// The test PKI (library capf_test_pki, for tests that link capf_pki): keys generated once per test
// binary (generation is the slow part; every test still gets fresh run-time keys), the fixed test
// time, a CAPF certificate, the protocol test vector's LSC and key, run_shell for openssl.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "capf/common/bytes.h"
#include "capf/common/clock.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"
#include "capf/pki/profiles.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace capf::pki::testing {

using TempDir = capf::testing::TempDir;

using capf::testing::run_shell;
using capf::testing::ShellResult;

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

// The CAPF subject the PKI tests sign with, with every attribute CUCM puts in it.
inline constexpr std::string_view kTestCapfSubject =
    "CN=CAPF-1a2b3c4d,O=Example,OU=Voice,L=Town,ST=State,C=NZ";
// A self-signed CAPF certificate of `key` made at test_now() (the test aborts if it cannot be).
Certificate test_capf_certificate(const PrivateKey& key,
                                  std::string_view subject = kTestCapfSubject, int days = 3650);

// A root CA made with the openssl command line in `dir` (root.pem, root.key) and the subordinate
// CAPF certificate it signs (capf.pem, serial 7a11ce5e7a11ce5e7a11ce5e, subject
// CN=CAPF-sub,O=Example,OU=Voice,C=NZ, CA:TRUE pathlen:0, serverAuth and clientAuth) from a CSR of
// `capf_key` built with build_request_info/assemble_csr. The root carries the wall clock's time
// (openssl x509 has no start date option). The test aborts if the chain cannot be made.
struct Subordinate {
  Certificate root;
  Certificate capf;
};
enum class CrlSign { kWith, kWithout };  // whether the CAPF certificate's keyUsage has cRLSign
Subordinate make_subordinate(const TempDir& dir, const PrivateKey& root_key,
                             const PrivateKey& capf_key, CrlSign crl_sign);

// The LSC of the docs/protocol.md §12 test vector (474 bytes, EC P-256, older profile without
// SKI/AKI).
Bytes vector_lsc_der();
// The issuer key of that vector (P-256 scalar 0x2222...22).
PrivateKey vector_issuer_key();

// Bytes from a hex string with optional spaces.
Bytes hex(std::string_view text);

}  // namespace capf::pki::testing
