#include "capf/trustlist/trust_list_file.h"

namespace capf::trustlist {

Result<Bytes> build_trust_list(const pki::Certificate& signer, const pki::PrivateKey& key,
                               const SigningOptions& options, const std::vector<Listed>& entries) {
  bool signer_listed = false;
  Bytes body;
  for (const auto& entry : entries) {
    if (entry.role == Role::kSast && entry.certificate == signer)
      signer_listed = true;
    CAPF_ASSIGN_OR_RETURN(Bytes record, encode_record(entry.role, entry.certificate));
    append(body, record);
  }
  if (!signer_listed) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the signer {} is not listed as SAST: phones could not check the file",
                      signer.subject());
  }
  return sign_with_header(signer, key, options, body);
}

namespace {

Verification verify(const TrustListFile& parsed, ByteView file) {
  Verification v;
  for (const auto& record : parsed.records) {
    if (record.role != static_cast<std::uint16_t>(Role::kSast) ||
        record.serial != parsed.header.serial) {
      continue;
    }
    if (record.certificate.empty()) {
      v.problem = fmt::format("the SAST record at offset {} has no certificate", record.offset);
      return v;
    }
    auto cert = pki::Certificate::from_der(record.certificate);
    if (!cert) {
      v.problem = fmt::format("the SAST record at offset {} holds no valid certificate: {}",
                              record.offset, cert.error().message);
      return v;
    }
    if (auto status = verify_signed_header(parsed.header, file, *cert); !status) {
      v.problem = status.error().message;
      return v;
    }
    v.verified = true;
    v.signer = cert->subject();
    return v;
  }
  v.problem = fmt::format("no SAST record has the header's serial {}: the signer is not listed",
                          to_hex(parsed.header.serial));
  return v;
}

}  // namespace

Result<TrustListFile> parse_trust_list(ByteView file) {
  TrustListFile parsed;
  CAPF_ASSIGN_OR_RETURN(parsed.header, parse_signed_header(file));
  CAPF_ASSIGN_OR_RETURN(parsed.records, parse_records(file, parsed.header.length));
  parsed.verification = verify(parsed, file);
  return parsed;
}

}  // namespace capf::trustlist
