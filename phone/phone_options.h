// What a simulated phone is told to do (PhoneOptions) and what came of it (SessionReport).
// Kept free of Asio so that the conversation logic and the CLI do not pay for it.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "capf/domain/device.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"

namespace capf::phone {

struct PhoneOptions {
  std::string device_name;
  std::string host;
  std::uint16_t port = 3804;
  // The local address to connect from (empty: the system's choice). The benchmark spreads many
  // phones over 127.0.0.0/8, as one address has only about 28,000 ports to connect from.
  std::string source_address;
  // The CAPF certificate(s) the phone trusts, like the CAPF entries of its ITL. The server's TLS
  // chain must verify against one of them (partial chains allowed); no hostname check.
  std::vector<pki::Certificate> server_trust;
  std::optional<std::string> auth_string;
  // What to authenticate with. nullopt = auto: follow the server's AUTH_TYPE when it is 1..4,
  // otherwise the LSC if there is one, else the MIC, else the password alone.
  // kAuthString: password; kNullString: empty password; kLscFirst: LSC, else MIC;
  // kMicFirst: MIC, else LSC. PASSWORD is always sent (empty if none), like capfc.
  std::optional<AuthMode> present;
  std::uint8_t version = 3;
  // false: answer an EC KEY_GENERATE_REQUEST with REASON=7 and no key (a phone without EC).
  bool support_ec = true;
  // false: answer SIGN_CERTIFICATE_REQUEST (§6.10) with REASON=7 and no signature.
  bool support_sign = true;
  // Add SUDI_DATA (the MIC as the SUDI certificate) when presenting a certificate and a MIC exists.
  bool send_sudi = true;
  // REQUEST_IN_PROGRESS frames sent before generating the key.
  int in_progress_messages = 1;
  // Extra time "generating" the key; one more REQUEST_IN_PROGRESS goes out every
  // min(keygen_delay, 10 s) of it.
  std::chrono::milliseconds keygen_delay{0};
  // Called when the phone starts generating its key (after the first REQUEST_IN_PROGRESS frames):
  // the benchmark counts the sessions it has parked in key generation with it.
  std::function<void()> on_generating;
  // Pre-generated keys (benchmark). nullopt or no function: generate one (blocks the thread).
  std::function<std::optional<pki::PrivateKey>(const KeySpec&)> key_source;
  // false: the transcript names each message's command only (the benchmark: describing a message
  // parses its certificates again, which would bill the simulated phone's CPU to the server).
  bool describe_messages = true;
  // Answer STORE_CERTIFICATE_REQUEST with REASON=7.
  bool refuse_store = false;
  // Troubleshoot answers with the LSC item only (otherwise LSC type 1, then MIC type 2).
  bool fetch_lsc_only = false;
  // Bound on connecting, the handshake and every read and write.
  std::chrono::seconds timeout{30};
  // Allow TLS 1.0 only, with "DEFAULT:@SECLEVEL=0", like a 7900-series phone.
  bool legacy_tls = false;
  // Test mode: write the first 3 header bytes and the rest of each frame in two TLS writes.
  bool split_header_writes = false;
};

// Exit codes of a session (also the process exit code of `opencapf phone`).
namespace exit_code {
inline constexpr int kSuccess = 0;        // the operation the server asked for succeeded
inline constexpr int kFailure = 1;        // refused, protocol error, TLS failure, timeout, ...
inline constexpr int kNoOperation = 2;    // END_SESSION 0 (or 1) right after authentication
inline constexpr int kUnknownDevice = 3;  // END_SESSION 9
inline constexpr int kPending = 4;        // an external CA holds the request; come back later
}  // namespace exit_code

struct SessionReport {
  int exit_code = exit_code::kFailure;
  std::string operation;  // "install", "troubleshoot", "delete", "none", "" if never told
  std::optional<std::uint8_t> end_reason;
  std::string summary;  // one line
  // The session ended without END_SESSION because the connection could not be made, secured or
  // kept: connecting, the TLS handshake, or a read or write failed or timed out.
  bool connection_lost = false;
  // The phone itself refused or failed a step the server asked for (no EC, --refuse-store, a key
  // it could not generate or keep, ...): asking again would end the same way.
  bool phone_refused = false;
  // One line per message: "<- " received, "-> " sent, then the command and its key elements.
  std::vector<std::string> transcript;
  std::optional<pki::Certificate> installed;
  std::uint32_t session_id = 0;
  std::string tls_version;
  std::string tls_cipher;
  std::chrono::microseconds duration{0};
  // Sessions made, retries included (phone_retry.h); 1 for a single session.
  int attempts = 1;
};

}  // namespace capf::phone
