#include "bench/online_bench.h"

#include <memory>

#include "bench/delay_proxy.h"
#include "bench/install_driver.h"
#include "bench/server_process.h"
#include "capf/common/bytes.h"
#include "capf/common/file.h"
#include "capf/pki/digest.h"

namespace capf::bench {

namespace {

constexpr int kMaxDelayMs = 10000;
constexpr std::chrono::seconds kCommandTimeout{60};

// The CA's own key and the signing configuration: an HMAC-protected "phone" profile for LSCs,
// and a "server" profile for CFSSL's own HTTPS certificate.
constexpr const char* kCaCsr =
    R"({"CN":"opencapf bench CFSSL CA","key":{"algo":"rsa","size":2048},)"
    R"("names":[{"O":"opencapf bench"}]})";
constexpr const char* kServerCsr =
    R"({"CN":"127.0.0.1","hosts":["127.0.0.1"],"key":{"algo":"ecdsa","size":256}})";
constexpr const char* kConfig = R"({"signing":{
  "default":{"expiry":"8760h","usages":["signing","key encipherment","client auth"]},
  "profiles":{
    "phone":{"expiry":"8760h","usages":["digital signature","key encipherment","client auth",
             "server auth"],"auth_key":"bench"},
    "server":{"expiry":"8760h","usages":["digital signature","key encipherment","server auth"]}}},
  "auth_keys":{"bench":{"type":"standard","key":"{KEY}"}}})";

// Runs `words`, its output in `log`; an error naming `what` and the log when it fails.
Status run_step(const std::vector<std::string>& words, const std::filesystem::path& log,
                const std::string& what) {
  CAPF_ASSIGN_OR_RETURN(int exit_code, run_command(words, log, kCommandTimeout));
  if (exit_code != 0)
    return make_error(ErrorCode::kUnavailable, "{} failed (exit {}); see {}", what, exit_code,
                      log.string());
  return ok();
}

// A CFSSL CA in `dir`: ca.pem and ca-key.pem, server.pem and server-key.pem for its HTTPS, the
// configuration and the HMAC key (hmac.hex, which opencapf reads as its password file).
Status make_cfssl_ca(const std::filesystem::path& dir) {
  CAPF_ASSIGN_OR_RETURN(Bytes secret, pki::random_bytes(16));
  std::string config = kConfig;
  config.replace(config.find("{KEY}"), 5, to_hex(secret));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return make_error(ErrorCode::kIo, "cannot create {}: {}", dir.string(), ec.message());
  CAPF_TRY(write_file_atomically(dir / "ca-csr.json", kCaCsr, FileMode::kPrivate));
  CAPF_TRY(write_file_atomically(dir / "server-csr.json", kServerCsr, FileMode::kPrivate));
  CAPF_TRY(write_file_atomically(dir / "config.json", config, FileMode::kPrivate));
  CAPF_TRY(write_file_atomically(dir / "hmac.hex", to_hex(secret) + "\n", FileMode::kPrivate));
  std::string d;  // the directory quoted for the shell
  for (char c : dir.string())
    d += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return run_step({"/bin/sh", "-c",
                   "cd '" + d +
                       "' && cfssl gencert -initca ca-csr.json | cfssljson -bare ca && "
                       "cfssl gencert -ca ca.pem -ca-key ca-key.pem -config config.json "
                       "-profile server server-csr.json | cfssljson -bare server"},
                  dir / "gencert.log", "making the CFSSL CA (cfssl gencert)");
}

// The online server's data directory: the benchmark's server settings, a CAPF identity, the
// devices, the CFSSL CA trusted for HTTPS and for LSCs, and the CFSSL issuer at `url`, set as an
// administrator sets it. Returns the CAPF certificate the phones trust.
Result<pki::Certificate> prepare_online_data(const BenchOptions& o,
                                             const std::filesystem::path& data,
                                             const std::filesystem::path& ca,
                                             const std::string& url) {
  CAPF_ASSIGN_OR_RETURN(
      pki::Certificate capf,
      make_server_data(o, data, bench_server_config(o, o.ca_concurrency + 1000),
                       "CN=CAPF-bench-online,O=opencapf bench", 2 * o.ca_sessions));
  const std::string bin = o.opencapf.string(), dir = data.string();
  const std::filesystem::path log = data.parent_path() / "online-admin.log";
  // CAPF-trust verifies the CA's HTTPS; CallManager-trust, the LSCs it signs (online mode needs
  // both, as `issuer set` says).
  for (const char* store : {"capf-trust", "callmanager-trust"}) {
    CAPF_TRY(run_step({bin, "trust", "add", store, (ca / "ca.pem").string(), "--data", dir}, log,
                      fmt::format("`opencapf trust add {}` of the CFSSL CA", store)));
  }
  CAPF_TRY(run_step({bin,
                     "issuer",
                     "set",
                     "--data",
                     dir,
                     "--mode",
                     "online",
                     "--protocol",
                     "cfssl",
                     "--url",
                     url,
                     "--profile",
                     "phone",
                     "--password-file",
                     (ca / "hmac.hex").string(),
                     "--ca-chain",
                     (ca / "ca.pem").string(),
                     "--retries",
                     "0",
                     "--timeout",
                     "60"},
                    log, "`opencapf issuer set --mode online --protocol cfssl`"));
  return capf;
}

}  // namespace

Status validate_online_options(const BenchOptions& o) {
  if (o.ca_delay_ms < -1 || o.ca_delay_ms > kMaxDelayMs) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--ca-delay-ms must be 0 to {} milliseconds, not {}", kMaxDelayMs,
                      o.ca_delay_ms);
  }
  if (o.ca_sessions < 1 || o.ca_concurrency < 1) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--ca-sessions and --ca-concurrency must be at least 1");
  }
  for (const char* tool : {"cfssl", "cfssljson"}) {
    if (o.ca_delay_ms >= 0 && find_on_path(tool).empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "--ca-delay-ms needs {} on PATH: install Debian's golang-cfssl "
                        "(scripts/install-deps.sh does)",
                        tool);
    }
  }
  return ok();
}

Status run_online_installs(const BenchOptions& o, const phone::PhoneOptions& base,
                           const std::filesystem::path& work, BenchReport& report) {
  const std::filesystem::path ca = work / "cfssl";
  CAPF_TRY(make_cfssl_ca(ca));
  CAPF_ASSIGN_OR_RETURN(std::uint16_t cfssl_port, free_port());
  ServerProcess cfssl;
  CAPF_TRY(cfssl.start_command(
      {"cfssl", "serve", "-address", "127.0.0.1", "-port", std::to_string(cfssl_port), "-ca",
       (ca / "ca.pem").string(), "-ca-key", (ca / "ca-key.pem").string(), "-config",
       (ca / "config.json").string(), "-tls-cert", (ca / "server.pem").string(), "-tls-key",
       (ca / "server-key.pem").string()},
      cfssl_port, work / "cfssl.log"));
  CAPF_ASSIGN_OR_RETURN(auto proxy, DelayProxy::start(cfssl_port));
  const std::string url = fmt::format("https://127.0.0.1:{}", proxy->port());

  phone::PhoneOptions phones = base;
  CAPF_ASSIGN_OR_RETURN(pki::Certificate capf,
                        prepare_online_data(o, work / "online-data", ca, url));
  phones.server_trust = {capf};
  CAPF_ASSIGN_OR_RETURN(phones.port, free_port());
  CAPF_ASSIGN_OR_RETURN(auto tls, phone::make_phone_tls_context(phones));
  ServerProcess server;
  CAPF_TRY(
      server.start(o.opencapf, work / "online-data", phones.port, work / "online-server.log", {}));

  report.online_concurrency = o.ca_concurrency;
  BenchOptions online = o;
  online.concurrency = o.ca_concurrency;
  proxy->set_delay(std::chrono::milliseconds(0));
  report.online.push_back(
      measured_installs(online, *tls, phones, server, "cfssl", 0, o.ca_sessions));
  proxy->set_delay(std::chrono::milliseconds(o.ca_delay_ms));
  report.online.push_back(measured_installs(online, *tls, phones, server,
                                            fmt::format("cfssl +{} ms", o.ca_delay_ms),
                                            o.ca_sessions, o.ca_sessions));
  report.online_ca_connections = proxy->connections();
  report.online_delay_cost_seconds = report.online[1].seconds - report.online[0].seconds;
  return ok();
}

}  // namespace capf::bench
