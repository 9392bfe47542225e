// OpenSSL's "legacy" provider, which SCEP needs because servers still encrypt their replies with
// single DES-CBC (micromdm's scepserver does, whatever the request used).
#pragma once

#include "capf/common/result.h"

namespace capf::scep {

// Loads "default" and "legacy" into OpenSSL's default library context, once per process; every
// later call returns the first call's outcome. Explicitly loading a provider stops OpenSSL from
// loading "default" on its own, so both are loaded together and stay loaded until the process
// exits (then they are unloaded before OpenSSL's own cleanup, so nothing leaks): the rest of the
// process keeps the default algorithms and gains the legacy ones (DES, RC2, MD4, ...), which
// nothing else in opencapf asks for. Thread-safe (std::call_once). kUnavailable with
// OpenSSL's reason when legacy.so cannot be loaded (e.g. OPENSSL_MODULES points elsewhere).
Status ensure_legacy_provider();

}  // namespace capf::scep
