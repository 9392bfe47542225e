#include "tests/issuer/online/online_test_util.h"

#include <fstream>
#include <sstream>

#include "capf/pki/csr.h"

namespace capf::testing {

namespace {

constexpr std::string_view kEcKey = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";

Status sh(const std::string& command) {
  ShellResult result = run_shell(command);
  if (result.exit_code != 0) {
    return make_error(ErrorCode::kInternal, "`{}` failed ({}): {}", command, result.exit_code,
                      result.output);
  }
  return ok();
}

Status make_ca(const TempDir& dir, std::string_view name, std::string_view cn) {
  return sh(fmt::format(
      "openssl req -x509 {} -keyout {} -out {} -days 30 -subj {} "
      "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign",
      kEcKey, quote(dir.file(fmt::format("{}.key", name))),
      quote(dir.file(fmt::format("{}.pem", name))), quote(fmt::format("/CN={}", cn))));
}

Status make_server(const TempDir& dir, std::string_view name, std::string_view cn,
                   std::string_view san) {
  std::string key = dir.file(fmt::format("{}.key", name));
  std::string csr = dir.file(fmt::format("{}.csr", name));
  std::string ext = dir.write(fmt::format("{}.ext", name),
                              fmt::format("subjectAltName={}\nextendedKeyUsage=serverAuth\n", san));
  CAPF_TRY(sh(fmt::format("openssl req {} -keyout {} -out {} -subj {}", kEcKey, quote(key),
                          quote(csr), quote(fmt::format("/CN={}", cn)))));
  return sh(fmt::format("openssl x509 -req -in {} -CA {} -CAkey {} -out {} -days 30 -extfile {}",
                        quote(csr), quote(dir.file("tls-ca.pem")), quote(dir.file("tls-ca.key")),
                        quote(dir.file(fmt::format("{}.pem", name))), quote(ext)));
}

}  // namespace

std::string quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out.push_back(c);
  }
  out += "'";
  return out;
}

Result<TlsTestPki> make_tls_test_pki(const TempDir& dir) {
  CAPF_TRY(make_ca(dir, "tls-ca", "test TLS CA"));
  CAPF_TRY(make_ca(dir, "other-ca", "unrelated test CA"));
  CAPF_TRY(make_server(dir, "server", "localhost", "DNS:localhost,IP:127.0.0.1"));
  CAPF_TRY(make_server(dir, "wrong-name", "ca.example.invalid", "DNS:ca.example.invalid"));
  TlsTestPki pki;
  pki.ca_pem = dir.file("tls-ca.pem");
  pki.ca_key = dir.file("tls-ca.key");
  pki.server_pem = dir.file("server.pem");
  pki.server_key = dir.file("server.key");
  pki.wrong_name_pem = dir.file("wrong-name.pem");
  pki.wrong_name_key = dir.file("wrong-name.key");
  pki.other_ca_pem = dir.file("other-ca.pem");
  pki.other_ca_key = dir.file("other-ca.key");
  return pki;
}

Result<std::vector<pki::Certificate>> read_certificates(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  auto certs = pki::Certificate::all_from_pem(text.str());
  if (!certs)
    return certs.error().with_context(path);
  return certs;
}

Result<IssueRequest> phone_request(const pki::PrivateKey& key, std::string_view device) {
  CAPF_ASSIGN_OR_RETURN(Bytes info,
                        pki::build_request_info(fmt::format("CN={}", device), key.spki_der(), {}));
  CAPF_ASSIGN_OR_RETURN(Bytes signature, key.sign(pki::Hash::kSha256, info));
  CAPF_ASSIGN_OR_RETURN(Bytes csr, pki::assemble_csr(info, pki::Hash::kSha256, signature));
  return IssueRequest{std::string(device), key.spki_der(), key.spec(), std::move(csr), "test"};
}

}  // namespace capf::testing
