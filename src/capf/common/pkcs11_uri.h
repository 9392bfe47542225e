// PKCS#11 URIs (RFC 7512, "pkcs11:token=capf;object=capf-rsa") as text: recognising one, and the
// token PIN it may carry (a pin-value attribute, in its path or its query, in any case). Loading
// the key it names is pki/key_source.h's; the configuration refuses a URI holding a PIN, since
// opencapf.toml is not secret.
#pragma once

#include <string>
#include <string_view>

namespace capf {

// Whether `text` names a key in a PKCS#11 token rather than a file.
bool is_pkcs11_uri(std::string_view text);

// Whether the PKCS#11 URI `uri` carries the token PIN (false for anything else).
bool pkcs11_uri_has_pin(std::string_view uri);

// `uri` without its pin-value attribute, for messages and logs (anything else unchanged).
std::string redact_pkcs11_uri(std::string_view uri);

}  // namespace capf
