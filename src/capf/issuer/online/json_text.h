// The text of a JSON document the online connectors send or keep (an ACME request, a cfssl
// request, a SCEP poll ticket). Never throws: a string that is not UTF-8 (text from a server, a
// name from a config file) is replaced instead.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace capf {

inline std::string json_text(const nlohmann::json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace capf
