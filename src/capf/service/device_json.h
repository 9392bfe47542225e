// JSON forms of the registry's records, shared by `--json` CLI output and the API.
#pragma once

#include <nlohmann/json.hpp>

#include "capf/domain/device.h"
#include "capf/service/device_csv.h"
#include "capf/store/device_store.h"

namespace capf {

nlohmann::json to_json(const Device& device);
nlohmann::json to_json(const IssuedCertificate& cert);
nlohmann::json to_json(const DeviceEvent& event);
nlohmann::json to_json(const TrustEntry& entry);
nlohmann::json to_json(const CertificateRequestRecord& request);  // without the PEMs
// With the generated authentication strings: show it once.
nlohmann::json to_json(const DeviceImportReport& report);

}  // namespace capf
