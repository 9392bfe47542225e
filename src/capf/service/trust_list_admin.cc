#include "capf/service/trust_list_admin.h"

#include "capf/common/file.h"
#include "capf/common/pkcs11_uri.h"
#include "capf/pki/digest.h"
#include "capf/pki/signer_profile.h"
#include "capf/service/audit_trail.h"

namespace capf {

namespace {

// The signer's files in the data directory (docs/trust-lists.md §5).
constexpr const char* kSignerCert = "itl-signer.pem";
constexpr const char* kSignerKey = "itl-signer-key.pem";
constexpr const char* kNextCert = "itl-signer-next.pem";
constexpr const char* kNextKey = "itl-signer-next-key.pem";
constexpr const char* kAuditTarget = "itl-signer";

Status check_signer_options(const SignerOptions& options) {
  if (options.bits != 2048 && options.bits != 3072 && options.bits != 4096) {
    return make_error(ErrorCode::kInvalidArgument,
                      "signer key rsa:{} is not offered: use 2048, 3072 or 4096 (the trust-list "
                      "format signs with rsa only)",
                      options.bits);
  }
  if (options.days < 1 || options.days > 7300) {
    return make_error(ErrorCode::kInvalidArgument, "--days {} is outside 1..7300", options.days);
  }
  return ok();
}

std::string summary(const pki::Certificate& cert) {
  return certificate_summary(cert).dump();
}

}  // namespace

std::string_view file_name_of(TrustListKind kind) {
  return kind == TrustListKind::kCtl ? "CTLFile.tlv" : "ITLFile.tlv";
}

IdentityPaths TrustListAdmin::current_paths() const {
  return IdentityPaths{config_.data_dir / kSignerCert, config_.data_dir / kSignerKey, {}, {}};
}

IdentityPaths TrustListAdmin::next_paths() const {
  return IdentityPaths{config_.data_dir / kNextCert, config_.data_dir / kNextKey, {}, {}};
}

Result<std::optional<std::string>> TrustListAdmin::passphrase() const {
  // The signer key is encrypted with the CAPF key's passphrase; a token's PIN is not one.
  if (is_pkcs11_uri(config_.capf.key_file))
    return std::optional<std::string>{};
  return config_.key_passphrase();
}

Result<CapfIdentity> TrustListAdmin::load(const IdentityPaths& paths) const {
  CAPF_ASSIGN_OR_RETURN(std::optional<std::string> pass, passphrase());
  return load_identity(paths, pass ? std::optional<std::string_view>(*pass) : std::nullopt);
}

Status TrustListAdmin::write(const IdentityPaths& paths, const CapfIdentity& signer) const {
  CAPF_ASSIGN_OR_RETURN(std::optional<std::string> pass, passphrase());
  return write_identity(paths, signer,
                        pass ? std::optional<std::string_view>(*pass) : std::nullopt);
}

Result<CapfIdentity> TrustListAdmin::make_signer(const SignerOptions& options) const {
  CAPF_TRY(check_signer_options(options));
  std::string subject = options.subject;
  if (subject.empty()) {
    CAPF_ASSIGN_OR_RETURN(Bytes random, pki::random_bytes(4));
    subject = fmt::format("CN=ITLRecovery-{},OU=opencapf", to_hex(random));
  }
  CAPF_ASSIGN_OR_RETURN(pki::PrivateKey key,
                        pki::PrivateKey::generate(KeySpec{KeyType::kRsa, options.bits}));
  CAPF_ASSIGN_OR_RETURN(pki::Certificate cert,
                        pki::make_signer_certificate(key, subject, options.days, clock_));
  return CapfIdentity{std::move(cert), std::move(key), {}};
}

Result<std::pair<CapfIdentity, std::optional<pki::Certificate>>> TrustListAdmin::load_signers() {
  std::error_code ec;
  if (!std::filesystem::exists(current_paths().cert, ec)) {
    return make_error(ErrorCode::kNotFound,
                      "no trust-list signer in {}: run `opencapf itl signer create`",
                      config_.data_dir.string());
  }
  CAPF_ASSIGN_OR_RETURN(CapfIdentity current, load(current_paths()));
  std::optional<pki::Certificate> next;
  if (std::filesystem::exists(next_paths().cert, ec)) {
    CAPF_ASSIGN_OR_RETURN(CapfIdentity n, load(next_paths()));
    if (n.certificate == current.certificate) {
      // A retire that stopped after installing the next signer: finish it.
      CAPF_TRY(remove_file_if_exists(next_paths().cert));
      CAPF_TRY(remove_file_if_exists(next_paths().key));
    } else {
      next = std::move(n.certificate);
    }
  }
  return std::pair{std::move(current), std::move(next)};
}

Result<pki::Certificate> TrustListAdmin::create_signer(const SignerOptions& options,
                                                       const std::string& actor) {
  std::error_code ec;
  if (std::filesystem::exists(current_paths().cert, ec)) {
    return make_error(ErrorCode::kAlreadyExists,
                      "{} already holds a trust-list signer: use `opencapf itl signer rotate`",
                      config_.data_dir.string());
  }
  CAPF_ASSIGN_OR_RETURN(CapfIdentity signer, make_signer(options));
  CAPF_TRY(write(current_paths(), signer));
  CAPF_TRY(record_audit(audit_, actor, "itl.signer.create", kAuditTarget, "",
                        summary(signer.certificate)));
  return signer.certificate;
}

Result<pki::Certificate> TrustListAdmin::rotate_signer(const SignerOptions& options,
                                                       const std::string& actor) {
  CAPF_ASSIGN_OR_RETURN(auto signers, load_signers());
  if (signers.second) {
    return make_error(ErrorCode::kConflict,
                      "a rotation is under way (next signer {}): run `opencapf itl signer "
                      "retire` once every phone has loaded a list naming it",
                      signers.second->subject());
  }
  CAPF_ASSIGN_OR_RETURN(CapfIdentity next, make_signer(options));
  CAPF_TRY(write(next_paths(), next));
  CAPF_TRY(record_audit(audit_, actor, "itl.signer.rotate", kAuditTarget,
                        summary(signers.first.certificate), summary(next.certificate)));
  return next.certificate;
}

Result<pki::Certificate> TrustListAdmin::retire_signer(const std::string& actor) {
  CAPF_ASSIGN_OR_RETURN(auto signers, load_signers());
  if (!signers.second) {
    return make_error(ErrorCode::kNotFound,
                      "no rotation is under way: run `opencapf itl signer rotate` first");
  }
  CAPF_ASSIGN_OR_RETURN(CapfIdentity next, load(next_paths()));
  // Installing the next signer first: a crash before the removals leaves current == next, which
  // load_signers() completes.
  CAPF_TRY(write(current_paths(), next));
  CAPF_TRY(remove_file_if_exists(next_paths().cert));
  CAPF_TRY(remove_file_if_exists(next_paths().key));
  CAPF_TRY(record_audit(audit_, actor, "itl.signer.retire", kAuditTarget,
                        summary(signers.first.certificate), summary(next.certificate)));
  return next.certificate;
}

Result<std::vector<SignerEntry>> TrustListAdmin::signers() {
  CAPF_ASSIGN_OR_RETURN(auto signers, load_signers());
  std::vector<SignerEntry> entries{{signers.first.certificate, true}};
  if (signers.second)
    entries.push_back({*signers.second, false});
  return entries;
}

Result<std::vector<trustlist::Listed>> TrustListAdmin::listing(
    const std::optional<pki::Certificate>& next, const pki::Certificate& signer,
    const std::vector<trustlist::Listed>& extra) {
  CAPF_ASSIGN_OR_RETURN(std::vector<IdentityEntry> capf, identity_.list());
  std::vector<trustlist::Listed> listed{{trustlist::Role::kSast, signer}};
  if (next)
    listed.push_back({trustlist::Role::kSast, *next});
  for (const auto& entry : capf) {
    if (entry.current || !entry.expired)
      listed.push_back({trustlist::Role::kCapf, entry.certificate});
  }
  for (const auto& added : extra) {
    for (const auto& l : listed) {
      if (l.role == added.role && l.certificate == added.certificate) {
        return make_error(ErrorCode::kInvalidArgument, "{} is already listed as {}",
                          added.certificate.subject(),
                          trustlist::role_name(static_cast<std::uint16_t>(added.role)));
      }
    }
    listed.push_back(added);
  }
  return listed;
}

Result<BuiltTrustList> TrustListAdmin::build(const TrustListOptions& options) {
  CAPF_ASSIGN_OR_RETURN(auto signers, load_signers());
  CAPF_ASSIGN_OR_RETURN(std::vector<trustlist::Listed> listed,
                        listing(signers.second, signers.first.certificate, options.extra));
  trustlist::SigningOptions signing{options.digest, options.signer_version,
                                    std::string(file_name_of(options.kind)),
                                    static_cast<std::uint32_t>(to_unix(clock_.now()))};
  CAPF_ASSIGN_OR_RETURN(
      Bytes bytes,
      trustlist::build_trust_list(signers.first.certificate, signers.first.key, signing, listed));
  return BuiltTrustList{std::move(bytes), signers.first.certificate, std::move(listed)};
}

Result<std::optional<std::string>> TrustListAdmin::missing_capf_warning(ByteView existing) {
  CAPF_ASSIGN_OR_RETURN(std::vector<IdentityEntry> capf, identity_.list());
  auto parsed = trustlist::parse_trust_list(existing);
  if (!parsed || capf.empty())
    return std::optional<std::string>{};
  const Bytes active = capf.front().certificate.der();
  for (const auto& record : parsed->records) {
    if (record.role == static_cast<std::uint16_t>(trustlist::Role::kCapf) &&
        record.certificate == active) {
      return std::optional<std::string>{};
    }
  }
  return std::optional<std::string>{fmt::format(
      "the file on disk does not list the active CAPF certificate {} (serial {}): phones that "
      "loaded it refuse TLS to CAPF until they load the new one",
      capf.front().certificate.subject(), capf.front().certificate.serial_hex())};
}

Result<bool> TrustListAdmin::publish(const std::filesystem::path& dir, bool with_ctl,
                                     std::string& listed) {
  CAPF_ASSIGN_OR_RETURN(auto signers, load_signers());
  CAPF_ASSIGN_OR_RETURN(auto entries, listing(signers.second, signers.first.certificate, {}));
  std::string now;
  for (const auto& entry : entries)
    now += entry.certificate.fingerprint_sha256() + (with_ctl ? "+" : " ");
  std::error_code ec;
  if (now == listed && std::filesystem::exists(dir / file_name_of(TrustListKind::kItl), ec))
    return false;
  for (TrustListKind kind : {TrustListKind::kItl, TrustListKind::kCtl}) {
    if (kind == TrustListKind::kCtl && !with_ctl)
      continue;
    TrustListOptions options;
    options.kind = kind;
    CAPF_ASSIGN_OR_RETURN(BuiltTrustList built, build(options));
    CAPF_TRY(
        write_file_atomically(dir / file_name_of(kind), to_string(built.bytes), FileMode::kPublic));
  }
  listed = now;
  return true;
}

Result<Bytes> TrustListAdmin::sign_file(ByteView content, const std::string& filename,
                                        pki::Hash digest, std::uint16_t signer_version) {
  CAPF_ASSIGN_OR_RETURN(auto signers, load_signers());
  trustlist::SigningOptions signing{digest, signer_version, filename,
                                    static_cast<std::uint32_t>(to_unix(clock_.now()))};
  return trustlist::sign_file(signers.first.certificate, signers.first.key, signing, content);
}

Result<trustlist::SignedFile> TrustListAdmin::check_signed_file(
    ByteView file, std::vector<pki::Certificate> extra_signers) {
  auto known = signers();
  if (known) {
    for (auto& s : *known)
      extra_signers.push_back(std::move(s.certificate));
  } else if (known.error().code != ErrorCode::kNotFound || extra_signers.empty()) {
    return known.error();
  }
  return trustlist::parse_signed_file(file, extra_signers);
}

}  // namespace capf
