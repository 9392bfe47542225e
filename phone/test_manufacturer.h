// A stand-in for Cisco's manufacturing CA, so that simulated phones can carry a MIC (the
// Manufacturer Installed Certificate) that a CAPF server can be told to trust. Test use only.
#pragma once

#include <filesystem>
#include <string_view>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"

namespace capf::phone {

inline constexpr std::string_view kManufacturingCaSubject =
    "CN=opencapf Test Manufacturing CA, O=opencapf test";
inline constexpr std::string_view kManufacturingCaFile = "mfg-ca.pem";
inline constexpr std::string_view kManufacturingCaKeyFile = "mfg-ca-key.pem";
inline constexpr int kMicDays = 10 * 365;

struct ManufacturingCa {
  pki::Certificate certificate;
  pki::PrivateKey key;
  std::filesystem::path certificate_path;  // <dir>/mfg-ca.pem, what `opencapf trust add` takes
};

// Loads <dir>/mfg-ca.pem and <dir>/mfg-ca-key.pem, or creates them (RSA-2048, self-signed,
// CA:TRUE, keyCertSign, 20 years) when neither exists; creates `dir` if needed. Concurrent callers
// (threads or processes) on the same directory all get the same CA: creation holds an flock on
// <dir>/mfg-ca.lock. kIo for file problems, kInvalidArgument if only one of the two files exists
// or they do not belong together. Blocks (file I/O, one RSA key generation).
Result<ManufacturingCa> load_or_create_manufacturing_ca(const std::filesystem::path& dir,
                                                        const Clock& clock);

// The MIC subject for a device: "CN=CP-8865-<device>, O=opencapf test, OU=MIC" (real MIC common
// names embed the SEP name; the model prefix is cosmetic).
std::string mic_subject(std::string_view device_name);

// Issues a MIC for `mic_key`, signed by `ca`: CA:FALSE, keyUsage digitalSignature +
// keyEncipherment, EKU clientAuth, SKI/AKI, SHA-256, random 128-bit serial, kMicDays days.
Result<pki::Certificate> issue_mic(const ManufacturingCa& ca, std::string_view device_name,
                                   const pki::PrivateKey& mic_key, const Clock& clock);

}  // namespace capf::phone
