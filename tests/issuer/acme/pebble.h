// A real pebble ACME server for one test, on 127.0.0.1 only: its HTTPS certificate is made here
// with the openssl CLI (Debian ships none), and its issuing root and intermediate, which pebble
// regenerates on every start, are fetched from the management port after it starts.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "capf/issuer/online/http_client.h"
#include "capf/pki/certificate.h"
#include "tests/support/child_process.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace capf::testing {

class Pebble {
 public:
  using Env = std::vector<std::pair<std::string, std::string>>;

  // The environment the ACME tests run pebble with: every authorization valid
  // without a challenge, no sleeps, no random nonce rejection, no authorization reuse.
  static Env default_env() {
    return {{"PEBBLE_VA_ALWAYS_VALID", "1"},
            {"PEBBLE_VA_NOSLEEP", "1"},
            {"PEBBLE_WFE_NONCEREJECT", "0"},
            {"PEBBLE_AUTHZREUSE", "0"}};
  }

  // Makes the TLS certificate, writes the config, starts pebble (with `args` after the config)
  // and fetches its CA certificates. Returns "" on success, else what went wrong.
  std::string start(const TempDir& dir, const Env& env = default_env(),
                    const std::vector<std::string>& args = {}) {
    dir_ = dir.path();
    std::string d = dir_.string();
    auto [status, output] = run_shell(
        "cd '" + d +
        "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
        "-keyout tlsca.key -out tlsca.pem -days 30 -subj '/CN=pebble test TLS CA' "
        "-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign "
        "&& openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tls.key "
        "-out tls.csr -subj /CN=localhost "
        "&& printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' "
        "> tls.ext && openssl x509 -req -in tls.csr -CA tlsca.pem -CAkey tlsca.key "
        "-CAcreateserial -out tls.pem -days 30 -extfile tls.ext");
    if (status != 0)
      return "openssl could not make pebble's tls certificate: " + output;
    auto tls_ca = pki::Certificate::from_pem(read_text("tlsca.pem"));
    if (!tls_ca)
      return "tlsca.pem: " + tls_ca.error().message;
    tls_ca_ = *tls_ca;

    port_ = free_loopback_port();
    management_port_ = free_loopback_port();
    std::string config =
        "{\"pebble\":{\"listenAddress\":\"127.0.0.1:" + std::to_string(port_) +
        "\",\"managementListenAddress\":\"127.0.0.1:" + std::to_string(management_port_) +
        "\",\"certificate\":\"" + d + "/tls.pem\",\"privateKey\":\"" + d +
        "/tls.key\",\"httpPort\":" + std::to_string(free_loopback_port()) +
        ",\"tlsPort\":" + std::to_string(free_loopback_port()) +
        ",\"ocspResponderURL\":\"\",\"externalAccountBindingRequired\":false}}";
    dir.write("pebble-config.json", config);
    env_ = env;
    args_ = args;
    return launch();
  }

  // Stops pebble and starts it again on the same ports: it forgets every account, order and
  // nonce, and makes a new issuing root and intermediate.
  std::string restart() {
    process_.stop();
    return launch();
  }

  void stop() { process_.stop(); }

  std::uint16_t port() const { return port_; }
  std::string directory_url() const {
    return "https://127.0.0.1:" + std::to_string(port_) + "/dir";
  }
  const pki::Certificate& tls_ca() const { return *tls_ca_; }
  const pki::Certificate& root() const { return *root_; }
  const pki::Certificate& intermediate() const { return *intermediate_; }
  std::string root_file() const { return (dir_ / "root.pem").string(); }
  std::string intermediate_file() const { return (dir_ / "int.pem").string(); }
  std::string log() const { return process_.log_text(); }

 private:
  std::string launch() {
    std::vector<std::string> argv = {"pebble", "-config", (dir_ / "pebble-config.json").string()};
    argv.insert(argv.end(), args_.begin(), args_.end());
    if (!process_.start(argv, dir_ / "pebble.log", env_, dir_)) {
      return "cannot start pebble";
    }
    if (!process_.wait_for_port(port_) || !process_.wait_for_port(management_port_))
      return "pebble did not start listening: " + process_.log_text();
    auto root = fetch_pem("/roots/0");
    auto intermediate = fetch_pem("/intermediates/0");
    if (!root || !intermediate) {
      return "cannot fetch pebble's issuing ca: " +
             (root ? intermediate.error().message : root.error().message);
    }
    root_ = *root;
    intermediate_ = *intermediate;
    write_text("root.pem", root_->pem());
    write_text("int.pem", intermediate_->pem());
    return "";
  }

  void write_text(const std::string& name, const std::string& text) const {
    std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
    out << text;
  }

  std::string read_text(const std::string& name) const {
    std::ifstream in(dir_ / name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  Result<pki::Certificate> fetch_pem(const std::string& path) {
    HttpClientOptions options;
    options.trust = {*tls_ca_};
    options.timeout = std::chrono::seconds(5);
    CAPF_ASSIGN_OR_RETURN(auto client, HttpClient::create(options));
    CAPF_ASSIGN_OR_RETURN(
        HttpResponse response,
        client->send(HttpRequest{
            "GET", "https://127.0.0.1:" + std::to_string(management_port_) + path, {}, {}}));
    if (response.status != 200)
      return make_error(ErrorCode::kUnavailable, "{} answered http {}", path, response.status);
    return pki::Certificate::from_pem(response.body);
  }

  std::filesystem::path dir_;
  Env env_;
  std::vector<std::string> args_;
  ChildProcess process_;
  std::uint16_t port_ = 0;
  std::uint16_t management_port_ = 0;
  std::optional<pki::Certificate> tls_ca_;  // set by start()
  std::optional<pki::Certificate> root_;
  std::optional<pki::Certificate> intermediate_;
};

}  // namespace capf::testing
