#include "capf/service/identity_admin.h"

#include <algorithm>

#include <fmt/format.h>

#include "capf/common/pkcs11_uri.h"
#include "capf/pki/csr.h"
#include "capf/pki/profiles.h"
#include "capf/pki/verify.h"
#include "capf/service/audit_trail.h"
#include "capf/service/cluster_sync.h"

namespace capf {

namespace {

Result<std::vector<pki::Certificate>> certificates_in(std::string_view text, const char* what) {
  // The admin gave the wrong file: say so in one line, without OpenSSL's stack of ASN.1 errors.
  if (text.find("-----BEGIN") != std::string_view::npos) {
    auto all = pki::Certificate::all_from_pem(text);
    if (!all || all->empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "{} is not a certificate: its PEM blocks do not parse as X.509", what);
    }
    return std::move(all).value();
  }
  auto one = pki::Certificate::from_der(as_bytes(text));
  if (!one) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{} is not a certificate: give a PEM or DER X.509 certificate", what);
  }
  return std::vector<pki::Certificate>{std::move(one).value()};
}

bool self_signed(const pki::Certificate& c) {
  return c.is_self_issued() && pki::verify_chain(c, {c}, {}, {}).has_value();
}

}  // namespace

Status check_capf_key_choice(const std::optional<KeySpec>& key, int days) {
  if (key && key->type == KeyType::kRsa && key->bits != 2048 && key->bits != 3072 &&
      key->bits != 4096) {
    return make_error(ErrorCode::kInvalidArgument,
                      "CAPF key rsa:{} is not allowed: use rsa:2048, rsa:3072, rsa:4096, ec:p256 "
                      "or ec:p384",
                      key->bits);
  }
  if (key && key->type == KeyType::kEc && key->bits != 256 && key->bits != 384) {
    return make_error(ErrorCode::kInvalidArgument,
                      "CAPF key ec:p{} is not allowed: use ec:p256 or ec:p384 (or an RSA size)",
                      key->bits);
  }
  if (days < 1 || days > 20 * 365) {
    return make_error(ErrorCode::kInvalidArgument, "--days {} is out of range: use 1 to 7300",
                      days);
  }
  return ok();
}

IdentityPaths identity_paths_of(const Config& c) {
  IdentityPaths paths{c.path_in_data(c.capf.cert_file), {}, c.path_in_data(c.capf.chain_file), {}};
  if (is_pkcs11_uri(c.capf.key_file))
    paths.key_uri = c.capf.key_file;
  else
    paths.key = c.path_in_data(c.capf.key_file);
  return paths;
}

Result<CapfIdentity> IdentityAdmin::load() const {
  CAPF_ASSIGN_OR_RETURN(std::optional<std::string> pass, config_.key_passphrase());
  std::optional<std::string_view> p;
  if (pass)
    p = *pass;
  return load_identity(identity_paths_of(config_), p);
}

Result<std::string> IdentityAdmin::csr_pem() {
  CAPF_ASSIGN_OR_RETURN(CapfIdentity id, load());
  // The subject in parse_dn's form ("CN=..., O=..." reads back as is).
  CAPF_ASSIGN_OR_RETURN(Bytes der, pki::make_capf_csr(id.key, id.certificate.subject()));
  return pki::pem_encode("CERTIFICATE REQUEST", der);
}

Status IdentityAdmin::install(const CapfIdentity& next, const pki::Certificate& previous,
                              const std::string& action, const std::string& actor) {
  CAPF_ASSIGN_OR_RETURN(std::optional<std::string> pass, config_.key_passphrase());
  std::optional<std::string_view> p;
  if (pass)
    p = *pass;
  // What the other nodes of a cluster get, made before anything changes (a missing cluster
  // passphrase refuses the change).
  std::optional<std::string> shared;
  if (cluster_ != nullptr) {
    CAPF_ASSIGN_OR_RETURN(shared, shared_identity_value(config_, next, previous, trust_));
  }
  // Trust first: the new certificate and its chain become trusted before phones can see them,
  // and the previous certificate stays trusted (relabelled) for the LSCs it issued.
  for (const char* store : {kCapfTrust, kCallManagerTrust}) {
    if (!(previous == next.certificate)) {
      Status removed = trust_.remove(store, previous.fingerprint_sha256());
      if (!removed && removed.error().code != ErrorCode::kNotFound)
        return removed;
      Status added = trust_.add(store, previous, std::string(kPreviousIdentityLabel));
      if (!added && added.error().code != ErrorCode::kAlreadyExists)
        return added;
    }
    Status added = trust_.add(store, next.certificate, std::string(kCurrentIdentityLabel));
    if (!added && added.error().code != ErrorCode::kAlreadyExists)
      return added;
    for (const auto& c : next.chain) {
      Status chained = trust_.add(store, c, std::string(kChainLabel));
      if (!chained && chained.error().code != ErrorCode::kAlreadyExists)
        return chained;
    }
  }
  CAPF_TRY(write_identity(identity_paths_of(config_), next, p));
  if (shared) {
    auto published = put_latest(*cluster_, kIdentitySetting, *shared);
    if (!published)
      return published.error().with_context("publishing the CAPF identity to the other nodes");
  }
  return record_audit(audit_, actor, action, "capf", certificate_summary(previous).dump(),
                      certificate_summary(next.certificate).dump());
}

Result<pki::Certificate> IdentityAdmin::import(std::string_view cert_text,
                                               std::optional<std::string_view> chain_text,
                                               const std::string& actor) {
  std::lock_guard lock(change_mu_);
  CAPF_ASSIGN_OR_RETURN(CapfIdentity current, load());
  CAPF_ASSIGN_OR_RETURN(auto certs, certificates_in(cert_text, "the file to import"));
  const pki::Certificate cert = certs.front();
  std::vector<pki::Certificate> chain(certs.begin() + 1, certs.end());
  if (chain_text) {
    CAPF_ASSIGN_OR_RETURN(auto more, certificates_in(*chain_text, "the --chain file"));
    chain.insert(chain.end(), more.begin(), more.end());
  }
  std::vector<std::string> problems;
  if (cert.spki_der() != current.key.spki_der()) {
    problems.push_back(fmt::format(
        "the certificate ({}) is for another key than the CAPF key: have the CA sign the CAPF "
        "request (`opencapf ca csr`, the console's \"Download the request\", or GET "
        "/api/v1/ca/csr)",
        cert.subject()));
  }
  for (const auto& p : pki::capf_profile_problems(cert))
    problems.push_back(p);
  // The chain must reach a root: one in the given chain, or one in capf-trust.
  std::vector<pki::Certificate> anchors;
  for (const auto& c : chain) {
    if (self_signed(c))
      anchors.push_back(c);
  }
  if (anchors.empty()) {
    CAPF_ASSIGN_OR_RETURN(anchors, trust_.anchors(kCapfTrust));
  }
  pki::VerifyOptions options;
  options.at = clock_.now();
  auto chained = pki::verify_chain(cert, anchors, chain, options);
  if (!chained) {
    problems.push_back(fmt::format(
        "the certificate does not chain to a trusted root: {} (give the issuing CA and its root "
        "after the certificate in the file, or with --chain FILE)",
        chained.error().message));
  }
  if (!problems.empty()) {
    std::string text;
    for (const auto& p : problems)
      text += "\n  - " + p;
    return make_error(ErrorCode::kInvalidArgument,
                      "refusing {} as the CAPF certificate; nothing changed:{}", cert.subject(),
                      text);
  }
  // The chain kept with the identity: everything above the certificate, root included.
  std::vector<pki::Certificate> kept;
  for (const auto& c : chain) {
    if (!(c == cert))
      kept.push_back(c);
  }
  if (std::find(kept.begin(), kept.end(), *chained) == kept.end())
    kept.push_back(*chained);
  CapfIdentity next{cert, current.key, kept};
  CAPF_TRY(install(next, current.certificate, "ca.import", actor));
  return cert;
}

Result<pki::Certificate> IdentityAdmin::regenerate(const RegenerateOptions& options,
                                                   const std::string& actor) {
  std::lock_guard lock(change_mu_);
  const IdentityPaths paths = identity_paths_of(config_);
  if (!paths.key_uri.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the CAPF key lives in a PKCS#11 token ({}), where opencapf does not make "
                      "keys: have a CA sign `opencapf ca csr` and `opencapf ca import` it, or "
                      "make a new key pair in the token and `opencapf init` a new data directory "
                      "with it",
                      redact_pkcs11_uri(paths.key_uri));
  }
  CAPF_TRY(check_capf_key_choice(options.key, options.days));
  CAPF_ASSIGN_OR_RETURN(CapfIdentity current, load());
  KeySpec spec = options.key.value_or(current.key.spec());
  CAPF_ASSIGN_OR_RETURN(pki::PrivateKey key, pki::PrivateKey::generate(spec));
  std::string subject = options.subject.empty() ? current.certificate.subject() : options.subject;
  CAPF_ASSIGN_OR_RETURN(pki::Certificate cert,
                        pki::make_capf_certificate(key, {subject, options.days}, clock_));
  CapfIdentity next{cert, key, {}};
  CAPF_TRY(install(next, current.certificate, "ca.regenerate", actor));
  return cert;
}

Result<std::vector<IdentityEntry>> IdentityAdmin::list() {
  CAPF_ASSIGN_OR_RETURN(CapfIdentity current, load());
  const TimePoint now = clock_.now();
  std::vector<IdentityEntry> out;
  out.push_back({current.certificate, true, current.certificate.not_after() < now,
                 pki::capf_profile_problems(current.certificate)});
  CAPF_ASSIGN_OR_RETURN(auto entries, trust_.list(kCapfTrust));
  std::vector<IdentityEntry> previous;
  for (const auto& e : entries) {
    if (e.label != kPreviousIdentityLabel)
      continue;
    auto cert = pki::Certificate::from_pem(e.pem);
    if (!cert || *cert == current.certificate)
      continue;
    previous.push_back({*cert, false, cert->not_after() < now, {}});
  }
  std::sort(previous.begin(), previous.end(), [](const IdentityEntry& a, const IdentityEntry& b) {
    return a.certificate.not_after() > b.certificate.not_after();
  });
  out.insert(out.end(), previous.begin(), previous.end());
  return out;
}

Status IdentityAdmin::retire(std::string_view fingerprint_text, const std::string& actor) {
  std::lock_guard lock(change_mu_);
  const std::string fingerprint_prefix = pki::fingerprint_prefix(fingerprint_text);
  CAPF_ASSIGN_OR_RETURN(auto identities, list());
  const IdentityEntry* match = nullptr;
  for (const auto& i : identities) {
    if (i.certificate.fingerprint_sha256().rfind(fingerprint_prefix, 0) == 0) {
      if (match != nullptr) {
        return make_error(ErrorCode::kInvalidArgument,
                          "{} matches more than one identity: give more of the fingerprint",
                          fingerprint_prefix);
      }
      match = &i;
    }
  }
  if (fingerprint_prefix.size() < 8 || match == nullptr) {
    return make_error(ErrorCode::kNotFound,
                      "no identity with fingerprint {}...: see `opencapf ca list` (at least 8 hex "
                      "digits)",
                      fingerprint_prefix);
  }
  if (match->current) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{} is the current CAPF certificate: regenerate or import another first",
                      match->certificate.subject());
  }
  for (const char* store : {kCapfTrust, kCallManagerTrust}) {
    Status s = trust_.remove(store, match->certificate.fingerprint_sha256());
    if (!s && s.error().code != ErrorCode::kNotFound)
      return s;
  }
  return record_audit(audit_, actor, "ca.retire", "capf",
                      certificate_summary(match->certificate).dump(), "");
}

Result<std::string> IdentityAdmin::export_bundle(bool all) {
  CAPF_ASSIGN_OR_RETURN(CapfIdentity current, load());
  std::string pem = current.certificate.pem();
  for (const auto& c : current.chain)
    pem += c.pem();
  if (all) {
    CAPF_ASSIGN_OR_RETURN(auto identities, list());
    for (const auto& i : identities) {
      if (!i.current)
        pem += i.certificate.pem();
    }
  }
  return pem;
}

}  // namespace capf
