// The records of an ITL or CTL: one trusted certificate each, with its role ("function") on the
// phone (docs/trust-lists.md §3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capf/common/bytes.h"
#include "capf/common/result.h"
#include "capf/pki/certificate.h"

namespace capf::trustlist {

// ROLE values: what the phone trusts the certificate for.
enum class Role : std::uint16_t {
  kSast = 0,     // may sign this file
  kCcm = 1,      // call control TLS
  kCcmTftp = 2,  // call control and TFTP
  kTftp = 3,     // signed configuration files
  kCapf = 4,     // the CAPF server on port 3804
  kHttps = 7,    // application server
  kTvs = 21,     // trust verification service
};

// "SAST", "CCM", "CCM+TFTP", "TFTP", "CAPF", "HTTPS", "TVS"; "ROLE n" for another value.
std::string role_name(std::uint16_t role);
// The role of a name above, any case; kInvalidArgument listing the names otherwise.
Result<Role> parse_role(std::string_view name);

struct Record {
  std::size_t offset = 0;  // of RECORD_LENGTH, from the start of the file
  std::uint16_t role = 0;
  bool has_role = false;
  std::string dns_name;
  std::string subject_name;
  std::string issuer_name;
  Bytes serial;
  Bytes public_key;
  Bytes signature;
  Bytes certificate;  // DER; empty if the record has none
  Bytes ip_address;
  Bytes certificate_hash;
  Bytes hash_algorithm;
};

// One record for `cert` in `role`: RECORD_LENGTH, SUBJECT_NAME, ROLE, ISSUER_NAME, SERIAL_NUMBER,
// PUBLIC_KEY (RSA PKCS#1 or the EC point: an EC certificate is listed as EC), SIGNATURE,
// CERTIFICATE. kInvalidArgument when the certificate is too large for the format.
Result<Bytes> encode_record(Role role, const pki::Certificate& cert);

// Every record of file[begin, end). kMalformed "offset N: ..." for a record cut short by the end
// of the file, an element running past the end of its record, an unknown tag or a value of the
// wrong size. Elements may come in any order.
Result<std::vector<Record>> parse_records(ByteView file, std::size_t begin);

}  // namespace capf::trustlist
