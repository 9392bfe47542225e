#include "apps/opencapf/trust_list_output.h"

#include <cstdio>

#include "apps/opencapf/cli_util.h"
#include "capf/common/clock.h"
#include "capf/pki/certificate.h"

namespace capf::cli {

namespace {

std::string time_text(const std::optional<std::uint32_t>& timestamp) {
  return timestamp ? format_utc(from_unix(*timestamp)) : std::string("(none)");
}

}  // namespace

nlohmann::json header_json(const trustlist::SignedHeader& h) {
  nlohmann::json j{
      {"version", fmt::format("{}.{}", h.version_major, h.version_minor)},
      {"header_length", h.length},
      {"signer_name", h.signer_name},
      {"serial", to_hex(h.serial)},
      {"issuer_name", h.issuer_name},
      {"digest", trustlist::digest_name(h.digest_algorithm)},
      {"signature_bytes", h.signature.size()},
      {"filename", h.filename},
  };
  j["signer_version"] = h.signer_version
                            ? nlohmann::json(trustlist::signer_version_text(*h.signer_version))
                            : nlohmann::json(nullptr);
  j["timestamp"] = h.timestamp ? nlohmann::json(time_text(h.timestamp)) : nlohmann::json(nullptr);
  return j;
}

nlohmann::json record_json(const trustlist::Record& r) {
  nlohmann::json j{
      {"offset", r.offset},         {"function", trustlist::role_name(r.role)},
      {"subject", r.subject_name},  {"issuer", r.issuer_name},
      {"serial", to_hex(r.serial)}, {"public_key_bytes", r.public_key.size()},
  };
  if (!r.dns_name.empty())
    j["dns_name"] = r.dns_name;
  if (auto cert = pki::Certificate::from_der(r.certificate)) {
    j["fingerprint"] = cert->fingerprint_sha256();
    j["not_after"] = format_utc(cert->not_after());
  }
  return j;
}

nlohmann::json verification_json(const trustlist::Verification& v) {
  nlohmann::json j{{"verified", v.verified}};
  if (v.verified)
    j["signer"] = v.signer;
  else
    j["problem"] = v.problem;
  return j;
}

void print_header(const trustlist::SignedHeader& h) {
  std::printf("file name      %s\n", h.filename.c_str());
  std::printf("version        %u.%u, header %zu bytes\n", h.version_major, h.version_minor,
              h.length);
  std::printf("signer version %s\n", h.signer_version
                                         ? trustlist::signer_version_text(*h.signer_version).c_str()
                                         : "(none)");
  std::printf("signed         %s\n", time_text(h.timestamp).c_str());
  std::printf("signer         %s\n", h.signer_name.c_str());
  std::printf("  serial       %s\n", to_hex(h.serial).c_str());
  std::printf("  issuer       %s\n", h.issuer_name.c_str());
  std::printf("digest         %s, %zu-bit RSA signature\n",
              trustlist::digest_name(h.digest_algorithm).c_str(), h.signature.size() * 8);
}

void print_record(std::size_t index, const trustlist::Record& r) {
  std::printf("record %zu (offset %zu): %s\n", index, r.offset,
              trustlist::role_name(r.role).c_str());
  std::printf("  subject      %s\n", r.subject_name.c_str());
  std::printf("  issuer       %s\n", r.issuer_name.c_str());
  std::printf("  serial       %s\n", to_hex(r.serial).c_str());
  if (!r.dns_name.empty())
    std::printf("  dns name     %s\n", r.dns_name.c_str());
  if (r.certificate.empty()) {
    std::printf("  certificate  (none)\n");
  } else if (auto cert = pki::Certificate::from_der(r.certificate)) {
    std::printf("  certificate  sha256 %s, expires %s\n", cert->fingerprint_sha256().c_str(),
                format_utc(cert->not_after()).c_str());
  } else {
    std::printf("  certificate  does not parse: %s\n", cert.error().message.c_str());
  }
}

void print_verification(const trustlist::Verification& v) {
  if (v.verified)
    std::printf("signature      valid, signed by %s\n", v.signer.c_str());
  else
    std::printf("signature      NOT VALID: %s\n", v.problem.c_str());
}

Result<std::pair<pki::Hash, std::uint16_t>> signing_choice(const std::string& digest,
                                                           const std::string& version) {
  std::pair<pki::Hash, std::uint16_t> choice{pki::Hash::kSha512, trustlist::kSignerVersion11};
  if (digest == "sha1")
    choice.first = pki::Hash::kSha1;
  else if (digest != "sha512")
    return usage_error(fmt::format("--digest {}: use sha1 or sha512", digest));
  if (version == "1.0")
    choice.second = trustlist::kSignerVersion10;
  else if (version != "1.1")
    return usage_error(fmt::format("--signer-version {}: use 1.0 or 1.1", version));
  return choice;
}

Status verification_status(const trustlist::Verification& v) {
  if (v.verified)
    return ok();
  return Error{ErrorCode::kCrypto, v.problem};
}

}  // namespace capf::cli
