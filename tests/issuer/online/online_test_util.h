// Helpers shared by the online-CA tests: a TLS test PKI for the CA's web server (made with the
// openssl command line at run time), PEM files read back as certificates, and the phone-signed
// request (docs/protocol.md §6.10) a connector forwards.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "capf/common/result.h"
#include "capf/issuer/issuer.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"

namespace capf::testing {

// File paths of a test PKI for HTTPS servers, all under one directory.
struct TlsTestPki {
  std::string ca_pem;  // "test TLS CA": issues both server certificates
  std::string ca_key;
  std::string server_pem;  // CN=localhost, SAN DNS:localhost, IP:127.0.0.1
  std::string server_key;
  std::string wrong_name_pem;  // CN=ca.example.invalid, SAN DNS:ca.example.invalid only
  std::string wrong_name_key;
  std::string other_ca_pem;  // an unrelated CA that issued nothing here
  std::string other_ca_key;
};

// Makes the files in `dir` (EC P-256 keys, 30 days). kInternal with openssl's output on failure.
Result<TlsTestPki> make_tls_test_pki(const TempDir& dir);

// Every certificate of a PEM file.
Result<std::vector<pki::Certificate>> read_certificates(const std::string& path);

// What the enrollment service hands an external-CA issuer: the phone's key, and the PKCS#10 the
// phone signed with it (subject CN=<device>, SHA-256).
Result<IssueRequest> phone_request(const pki::PrivateKey& key,
                                   std::string_view device = "SEP001122334455");

// The shell-quoted form of a path or argument.
std::string quote(std::string_view text);

}  // namespace capf::testing
