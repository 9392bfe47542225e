#include "capf/trustlist/sgn_file.h"

namespace capf::trustlist {

Result<Bytes> sign_file(const pki::Certificate& signer, const pki::PrivateKey& key,
                        const SigningOptions& options, ByteView content) {
  return sign_with_header(signer, key, options, content);
}

Result<SignedFile> parse_signed_file(ByteView file, const std::vector<pki::Certificate>& signers) {
  SignedFile parsed;
  CAPF_ASSIGN_OR_RETURN(parsed.header, parse_signed_header(file));
  parsed.content = file.subspan(parsed.header.length);
  for (const auto& signer : signers) {
    if (serial_bytes(signer) != parsed.header.serial)
      continue;
    if (auto status = verify_signed_header(parsed.header, file, signer); !status) {
      parsed.verification.problem = status.error().message;
      return parsed;
    }
    parsed.verification.verified = true;
    parsed.verification.signer = signer.subject();
    return parsed;
  }
  parsed.verification.problem =
      fmt::format("no known signer has the header's serial {}", to_hex(parsed.header.serial));
  return parsed;
}

}  // namespace capf::trustlist
