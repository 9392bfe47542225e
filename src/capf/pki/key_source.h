// Key sources: where the CAPF private key lives. A PEM file is read with PrivateKey::from_pem; a
// key in a PKCS#11 token (an HSM, or SoftHSM in the tests) is named by an RFC 7512 URI and used
// through the libp11 OpenSSL engine, so that the TLS handshake and LSC signing both run in the
// token and the private half never enters this process.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "capf/common/result.h"
#include "capf/pki/key.h"

namespace capf::pki {

// Loads the private key the URI names (token=, object= or id=, optionally type=private) from the
// token, logging in with `pin` when given (a pin-value attribute inside the URI also works). The
// result is an ordinary PrivateKey: sign(), sign_proof(), spki_der(), public_key() and TLS use the
// token; to_pem() refuses, since the private half cannot leave the token.
//
// The PKCS#11 module is the one named by the environment variable OPENCAPF_PKCS11_MODULE, else
// the engine's default (the p11-kit proxy, which sees every registered module, SoftHSM included).
// The engine is process-wide and set up on the first call; it is never unloaded, so keys from it
// stay valid for the life of the process. Never prompts on a terminal.
//
// Errors, each one line that never contains the PIN:
//   kInvalidArgument   text that is not a pkcs11: URI; a key that is not RSA or EC P-256/384/521
//   kUnavailable       the engine (libengine-pkcs11-openssl) or the module cannot be loaded
//   kPermissionDenied  the token refused the PIN, locked it, or needs one and none was given
//   kNotFound          no token or no private key matches the URI
//   kCrypto            anything else the engine reports
//
// PKCS#11 logins are per token and per process: once a token is logged in, later loads from it
// succeed whatever PIN they give, and a PIN that logged in once is remembered by the engine and
// tried for later loads that give none.
//
// Blocks on the token (call it from a worker thread, not an I/O thread). Thread-safe: calls are
// serialised. Signing with the returned keys from several threads at once is safe.
Result<PrivateKey> load_pkcs11_key(std::string_view uri, std::optional<std::string_view> pin);

}  // namespace capf::pki
