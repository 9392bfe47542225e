// Internal to the config module: what config.cc and issuer_config_writer.cc share.
#pragma once

#include <filesystem>
#include <string>

#include "capf/common/result.h"
#include "capf/config/config.h"

namespace capf::config_detail {

// The [issuer] rules (mode, protocol, URLs, chains, key types); the error names the setting.
Status validate_issuer(const IssuerConfig& c);

}  // namespace capf::config_detail
