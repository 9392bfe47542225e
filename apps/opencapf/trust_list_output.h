// What `itl`, `ctl` and `sgn` share: the --digest/--signer-version choice, and printing trust
// lists and signed files (text for people, JSON for scripts, the same fields in both).
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "capf/trustlist/sgn_file.h"
#include "capf/trustlist/trust_list_file.h"

namespace capf::cli {

// --digest sha1|sha512 and --signer-version 1.0|1.1; a usage error naming the option otherwise.
Result<std::pair<pki::Hash, std::uint16_t>> signing_choice(const std::string& digest,
                                                           const std::string& version);

nlohmann::json header_json(const trustlist::SignedHeader& header);
nlohmann::json record_json(const trustlist::Record& record);
nlohmann::json verification_json(const trustlist::Verification& verification);

void print_header(const trustlist::SignedHeader& header);
void print_record(std::size_t index, const trustlist::Record& record);
// "signature: valid, signed by ..." or "signature: NOT VALID: ...".
void print_verification(const trustlist::Verification& verification);

// kCrypto with the verification's problem when it did not verify (the command's exit code 1).
Status verification_status(const trustlist::Verification& verification);

}  // namespace capf::cli
