// A tiny CAPF server for the phone simulator's tests: protocol::ServerSession over Boost.Asio TLS,
// serving exactly one connection with a scripted operation and recording what the phone sent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "capf/common/result.h"
#include "capf/domain/device.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"
#include "capf/protocol/message.h"
#include "phone/phone_options.h"
#include "phone/phone_state.h"

namespace capf::phone::testing {

enum class ServerMode {
  kInstall,          // KEY_GENERATE_REQUEST for each of `keys` until one is answered, then STORE
  kFetch,            // FETCH_CERTIFICATE_REQUEST, END 0
  kDelete,           // DELETE_CERTIFICATE_REQUEST, END 1 (7 if the phone answered 7)
  kNone,             // END 0 after authentication
  kUnknownDevice,    // END 9
  kRefuse,           // END 7
  kSilentAfterAuth,  // reads AUTH_RESPONSE, then says nothing
  kChangeSessionId,  // END 0 with a different session id
};

struct ServerScript {
  ServerMode mode = ServerMode::kInstall;
  std::vector<KeySpec> keys = {KeySpec{KeyType::kRsa, 2048}};
  bool sign_first = false;  // §6.10 SIGN_CERTIFICATE_REQUEST before STORE
  std::uint8_t sign_digest = protocol::hash_id::kSha256;
  std::optional<std::uint8_t> auth_type = 0;
  std::uint32_t session_id = 0x12345678;
  bool legacy_tls = false;
  // Certificate and key the server presents; default: capf_credential().
  std::optional<Credential> server_credential;
};

struct ServerRecord {
  std::optional<protocol::AuthResponse> auth;
  int in_progress = 0;
  std::vector<protocol::KeyGenerateResponse> key_responses;
  std::optional<protocol::SignCertificateResponse> sign_response;
  std::optional<Bytes> request_info;
  std::optional<Result<Bytes>> csr;  // assemble_csr() of the phone's signature
  std::optional<pki::Certificate> issued;
  std::optional<std::uint8_t> store_reason;
  std::optional<protocol::FetchCertificateResponse> fetch;
  std::optional<std::uint8_t> delete_reason;
  std::optional<std::uint8_t> end_reason;
  std::string peer_address;  // where the phone connected from
  std::string error;         // the first thing that went wrong on the server side
};

struct RunResult {
  SessionReport report;
  ServerRecord server;
};

// A self-signed CAPF credential (RSA-2048, "CN=CAPF-phonetest, O=opencapf test, OU=VTG"), made
// once per test binary.
const Credential& capf_credential();
// Another CAPF credential the phone must not trust.
const Credential& other_capf_credential();

// Runs the scripted server on 127.0.0.1:0 and one phone session against it (host, port and, if
// empty, server_trust = capf_credential() are filled in), both on one io_context.
RunResult run_against_fake_server(const ServerScript& script, PhoneOptions options,
                                  PhoneState& state);

}  // namespace capf::phone::testing
