// `opencapf phone`: one simulated Cisco IP phone session against a CAPF server (phone/), or, with
// --make-mic and no --server, the creation of a test MIC for such a phone.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "apps/opencapf/commands.h"
#include "capf/domain/device.h"
#include "phone/phone_retry.h"
#include "phone/phone_session.h"
#include "phone/phone_state.h"
#include "phone/test_manufacturer.h"

namespace capf::cli {
namespace {

struct PhoneArgs {
  std::string name;
  std::vector<std::string> servers;
  int attempts = 1;
  long retry_delay_ms = 0;
  std::string capf_cert;
  std::string state_dir;
  std::string auth_string;
  std::string present = "auto";
  bool make_mic = false;
  std::string mfg_dir;
  std::string mic_key = "rsa:2048";
  int version = 3;
  bool no_ec = false;
  bool no_sign = false;
  bool no_sudi = false;
  long keygen_delay_ms = 0;
  int in_progress = 1;
  bool refuse_store = false;
  bool fetch_lsc_only = false;
  long timeout_s = 30;
  bool legacy_tls = false;
  bool json = false;
};

constexpr int kUsage = phone::exit_code::kFailure;

int usage(std::string_view message) {
  fmt::print(stderr, "opencapf phone: {}\n", message);
  return kUsage;
}

// "HOST:PORT" or "[V6]:PORT".
bool parse_server(std::string_view text, std::string& host, std::uint16_t& port) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size()) {
    return false;
  }
  std::string_view h = text.substr(0, colon);
  if (h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  }
  const std::string_view p = text.substr(colon + 1);
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
  if (ec != std::errc() || end != p.data() + p.size() || value == 0 || value > 65535 || h.empty()) {
    return false;
  }
  host = std::string(h);
  port = static_cast<std::uint16_t>(value);
  return true;
}

void print_mic(const phone::PhoneState& state, const std::filesystem::path& mfg_dir) {
  const auto& mic = state.mic()->certificate;
  fmt::print("MIC {} serial {} ({}) issued by {}, valid until {}\n", mic.subject(),
             mic.serial_hex(), to_string(mic.public_key().spec()), mic.issuer(),
             format_utc(mic.not_after()));
  fmt::print("  stored in {}\n", (state.dir() / "mic.pem").string());
  const auto ca = mfg_dir / phone::kManufacturingCaFile;
  fmt::print("  test manufacturing CA: {}\n", ca.string());
  fmt::print("next: make the CAPF server trust MICs from that CA:\n");
  fmt::print("  opencapf trust add mic-trust {}\n", ca.string());
}

nlohmann::json report_json(const phone::PhoneOptions& options, const phone::ServerAddress& server,
                           const phone::SessionReport& r) {
  nlohmann::json j;
  j["device"] = options.device_name;
  j["server"] = fmt::format("{}:{}", server.host, server.port);
  j["exit_code"] = r.exit_code;
  j["operation"] = r.operation;
  j["end_reason"] = r.end_reason ? nlohmann::json(*r.end_reason) : nlohmann::json(nullptr);
  j["summary"] = r.summary;
  j["transcript"] = r.transcript;
  j["session_id"] = r.session_id;
  j["tls_version"] = r.tls_version;
  j["tls_cipher"] = r.tls_cipher;
  j["duration_ms"] = static_cast<double>(r.duration.count()) / 1000.0;
  j["attempts"] = r.attempts;
  if (r.installed) {
    const auto& c = *r.installed;
    j["installed"] = {{"serial", c.serial_hex()},
                      {"subject", c.subject()},
                      {"issuer", c.issuer()},
                      {"key", to_string(c.public_key().spec())},
                      {"not_after", format_utc(c.not_after())},
                      {"pem", c.pem()}};
  } else {
    j["installed"] = nullptr;
  }
  return j;
}

int run_phone(const PhoneArgs& args) {
  if (args.state_dir.empty()) {
    return usage("--state DIR is required: the directory that keeps this phone's MIC and LSC");
  }
  if (args.servers.empty() && !args.make_mic) {
    return usage("--server needs HOST:PORT, e.g. --server 127.0.0.1:3804 (or --make-mic alone)");
  }
  phone::PhoneOptions options;
  options.device_name = args.name;
  phone::RetryPolicy retry;
  for (const std::string& server : args.servers) {
    phone::ServerAddress& address = retry.servers.emplace_back();
    if (!parse_server(server, address.host, address.port)) {
      return usage(fmt::format("--server needs HOST:PORT, e.g. 127.0.0.1:3804 (got '{}')", server));
    }
  }
  if (args.attempts < 1 || args.attempts > 1000 || args.retry_delay_ms < 0 ||
      args.retry_delay_ms > 600'000) {
    return usage("--attempts takes 1..1000 and --retry-delay milliseconds 0..600000");
  }
  retry.attempts = args.attempts;
  retry.delay = std::chrono::milliseconds(args.retry_delay_ms);
  if (args.present != "auto") {
    auto mode = parse_auth_mode(args.present);
    if (!mode) {
      return usage(
          fmt::format("--present takes auto, string, null, lsc or mic (got '{}')", args.present));
    }
    options.present = *mode;
  }
  if (args.version < 0 || args.version > 255) {
    return usage("--version takes 0..255; phones send 3, Jabber 2");
  }
  if (args.keygen_delay_ms < 0 || args.in_progress < 0 || args.in_progress > 100) {
    return usage("--keygen-delay takes milliseconds >= 0 and --in-progress 0..100");
  }
  if (args.timeout_s < 1 || args.timeout_s > 3600) {
    return usage("--timeout takes seconds, 1..3600, e.g. --timeout 30");
  }
  auto mic_spec = parse_key_spec(args.mic_key);
  if (!mic_spec) {
    return usage(
        fmt::format("--mic-key takes rsa:2048, ec:p256, ... ({})", mic_spec.error().message));
  }
  if (!args.auth_string.empty()) {
    options.auth_string = args.auth_string;
  }
  options.version = static_cast<std::uint8_t>(args.version);
  options.support_ec = !args.no_ec;
  options.support_sign = !args.no_sign;
  options.send_sudi = !args.no_sudi;
  options.keygen_delay = std::chrono::milliseconds(args.keygen_delay_ms);
  options.in_progress_messages = args.in_progress;
  options.refuse_store = args.refuse_store;
  options.fetch_lsc_only = args.fetch_lsc_only;
  options.timeout = std::chrono::seconds(args.timeout_s);
  options.legacy_tls = args.legacy_tls;

  auto state = phone::PhoneState::load(args.state_dir);
  if (!state) {
    fmt::print(stderr, "opencapf phone: {}\n", state.error().message);
    return phone::exit_code::kFailure;
  }
  if (args.make_mic) {
    const std::filesystem::path mfg_dir = args.mfg_dir.empty() ? args.state_dir : args.mfg_dir;
    auto mic = state->make_mic(args.name, mfg_dir, *mic_spec);
    if (!mic) {
      fmt::print(stderr, "opencapf phone: cannot make a MIC: {}\n", mic.error().message);
      return phone::exit_code::kFailure;
    }
    if (args.servers.empty()) {
      print_mic(*state, mfg_dir);
      return phone::exit_code::kSuccess;
    }
  }
  if (args.capf_cert.empty()) {
    return usage("--capf-cert FILE is required: the CAPF certificate the phone trusts (PEM)");
  }
  auto trust = pki::read_certificates(args.capf_cert);
  if (!trust) {
    return usage(fmt::format("--capf-cert: {}; give the PEM file of the server's CAPF certificate",
                             trust.error().message));
  }
  options.server_trust = std::move(trust).value();

  const auto report = phone::run_with_retries(
      options, retry, *state,
      [&args](const std::string& line) {
        fmt::print(args.json ? stderr : stdout, "{}: {}\n", args.name, line);
      },
      phone::run_session_blocking);
  if (args.json) {
    std::cout << report_json(options,
                             retry.servers.at((report.attempts - 1) % retry.servers.size()), report)
                     .dump(2)
              << std::endl;
  } else {
    for (const auto& line : report.transcript) {
      fmt::print("{}\n", line);
    }
    std::string details = report.session_id != 0
                              ? fmt::format(" [session {:#010x}", report.session_id)
                              : std::string(" [");
    if (!report.tls_version.empty()) {
      details += fmt::format("{}{} {}", details.size() > 2 ? ", " : "", report.tls_version,
                             report.tls_cipher);
    }
    details += fmt::format("{}{:.0f} ms", details.size() > 2 ? ", " : "",
                           static_cast<double>(report.duration.count()) / 1000.0);
    details += report.attempts > 1 ? fmt::format(", attempt {}]", report.attempts) : "]";
    fmt::print("{}: {}{}\n", options.device_name, report.summary, details);
  }
  return report.exit_code;
}

}  // namespace

void add_phone_command(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<PhoneArgs>();
  CLI::App* cmd = app.add_subcommand(
      "phone", "simulate a Cisco IP phone: one CAPF session, or create a test MIC (--make-mic)");
  cmd->add_option("name", args->name, "Device name, e.g. SEP001122334455")->required();
  cmd->add_option("--server", args->servers,
                  "CAPF server as HOST:PORT, e.g. 127.0.0.1:3804; give it again for more servers "
                  "(a capfList), tried in turn with --attempts");
  cmd->add_option("--attempts", args->attempts,
                  "Sessions at most (default 1): a dropped or refused connection, a TLS failure or "
                  "END_SESSION 7 (e.g. the device busy on another node) is retried on the next "
                  "--server, round robin, keeping the phone's state");
  cmd->add_option("--retry-delay", args->retry_delay_ms,
                  "Milliseconds to wait before each retry (default 0)");
  cmd->add_option("--capf-cert", args->capf_cert,
                  "PEM file with the CAPF certificate(s) the phone trusts (its ITL)");
  cmd->add_option("--state", args->state_dir,
                  "Directory holding this phone's MIC and LSC (created if missing)");
  cmd->add_option("--auth-string", args->auth_string, "Authentication string to send");
  cmd->add_option("--present", args->present,
                  "What to authenticate with: auto|string|null|lsc|mic (default auto)");
  cmd->add_flag("--make-mic", args->make_mic,
                "Create a MIC signed by a test manufacturing CA (created once in --mfg-ca)");
  cmd->add_option("--mfg-ca", args->mfg_dir,
                  "Directory of the test manufacturing CA (default: the --state directory)");
  cmd->add_option("--mic-key", args->mic_key, "Key of a new MIC: rsa:2048 (default), ec:p256, ...");
  cmd->add_option("--version", args->version, "VERSION sent in AUTH_RESPONSE (default 3)");
  cmd->add_flag("--no-ec", args->no_ec, "Refuse EC keys, like a phone without EC support");
  cmd->add_flag("--no-sign", args->no_sign, "Refuse SIGN_CERTIFICATE_REQUEST (online/offline CA)");
  cmd->add_flag("--no-sudi", args->no_sudi, "Do not add SUDI_DATA when presenting a certificate");
  cmd->add_option("--keygen-delay", args->keygen_delay_ms,
                  "Extra milliseconds spent 'generating' the key");
  cmd->add_option("--in-progress", args->in_progress,
                  "REQUEST_IN_PROGRESS messages sent before the key (default 1)");
  cmd->add_flag("--refuse-store", args->refuse_store, "Answer STORE_CERTIFICATE_REQUEST with 7");
  cmd->add_flag("--fetch-lsc-only", args->fetch_lsc_only,
                "Troubleshoot answers with the LSC only (not the MIC)");
  cmd->add_option("--timeout", args->timeout_s,
                  "Seconds allowed for connecting and for each read (default 30)");
  cmd->add_flag("--legacy-tls", args->legacy_tls,
                "Speak TLS 1.0 at security level 0, like a 7900-series phone");
  cmd->add_flag("--json", args->json, "Print the session report as JSON");
  cmd->footer(
      "Exit codes: 0 the operation succeeded (LSC installed, fetched or deleted), 1 refused or "
      "failed, 2 the server had no operation for the device, 3 the server does not know it, 4 the "
      "server keeps the request for an external CA (the phone keeps its key; run again later).\n");
  cmd->callback([args, &ctx] { ctx.exit_code = run_phone(*args); });
}

}  // namespace capf::cli
