// ITLFile.tlv and CTLFile.tlv (docs/trust-lists.md): building one signed by a SAST signer, and
// reading any such file (ours or CUCM's) with the check of its signature.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "capf/common/bytes.h"
#include "capf/common/result.h"
#include "capf/pki/certificate.h"
#include "capf/pki/key.h"
#include "capf/trustlist/record.h"
#include "capf/trustlist/signed_header.h"

namespace capf::trustlist {

struct Listed {
  Role role = Role::kCapf;
  pki::Certificate certificate;
};

// The header signed by `signer`/`key`, then one record per entry in order. The signer must be
// among the entries with role SAST: kInvalidArgument otherwise (a phone could not check the file).
Result<Bytes> build_trust_list(const pki::Certificate& signer, const pki::PrivateKey& key,
                               const SigningOptions& options, const std::vector<Listed>& entries);

struct Verification {
  bool verified = false;
  std::string signer;   // subject of the SAST record that verified it
  std::string problem;  // why not, when not verified
};

struct TrustListFile {
  SignedHeader header;
  std::vector<Record> records;
  Verification verification;
};

// Parses `file` and checks its signature with the SAST record whose serial is the header's.
// kMalformed "offset N: ..." when it does not parse; a signature that does not verify, or no
// matching SAST record, is reported in `verification`, not as an error.
Result<TrustListFile> parse_trust_list(ByteView file);

}  // namespace capf::trustlist
