// One simulated phone session against a CAPF server: connect, TLS handshake (verifying the server
// against PhoneOptions::server_trust, like a phone's ITL), then answer the server's commands as a
// phone would (docs/protocol.md §6) until END_SESSION.
#pragma once

#include <memory>
#include <utility>  // Boost 1.74 awaitable.hpp uses std::exchange without including it

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include "capf/common/result.h"
#include "phone/phone_options.h"
#include "phone/phone_state.h"

namespace capf::phone {

// A TLS client context for the phone: verifies the peer against options.server_trust (an
// X509_STORE with X509_V_FLAG_PARTIAL_CHAIN, no hostname check); TLS 1.2+ by default, TLS 1.0
// only with "DEFAULT:@SECLEVEL=0" when options.legacy_tls. kInvalidArgument when server_trust is
// empty; kCrypto if OpenSSL refuses a setting. One context may serve many sessions.
Result<std::unique_ptr<boost::asio::ssl::context>> make_phone_tls_context(
    const PhoneOptions& options);

// Runs one session on the caller's executor. Never throws; every failure (resolve, connect, TLS,
// timeout, protocol) ends up in the report with exit code 1. Does not block the thread except for
// key generation when options.key_source gives no key, for signatures, and for the PhoneState
// file writes. `tls` and `state` must outlive the returned awaitable.
boost::asio::awaitable<SessionReport> run_session(boost::asio::ssl::context& tls,
                                                  PhoneOptions options, PhoneState& state);

// Creates an io_context and the TLS context, and runs one session to its end on this thread.
SessionReport run_session_blocking(const PhoneOptions& options, PhoneState& state);

}  // namespace capf::phone
