#include "capf/trust/trust_stores.h"

#include <cctype>
#include <utility>

#include <fmt/format.h>

namespace capf {
namespace {

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

TrustEntry entry_for(const std::string& store, const pki::Certificate& cert,
                     const std::string& label) {
  TrustEntry e;
  e.store = store;
  e.fingerprint = cert.fingerprint_sha256();
  e.subject = cert.subject();
  e.issuer = cert.issuer();
  e.not_after = cert.not_after();
  e.pem = cert.pem();
  e.label = label;
  return e;
}

// The labels of the PEM blocks in `text` ("CERTIFICATE", "PRIVATE KEY", ...), in order.
Result<std::vector<std::string>> pem_block_labels(std::string_view text) {
  constexpr std::string_view kBegin = "-----BEGIN ";
  constexpr std::string_view kDashes = "-----";
  std::vector<std::string> labels;
  for (std::size_t pos = text.find(kBegin); pos != std::string_view::npos;
       pos = text.find(kBegin, pos)) {
    std::size_t start = pos + kBegin.size();
    std::size_t end = text.find(kDashes, start);
    std::size_t line_end = text.find('\n', start);
    if (end == std::string_view::npos || (line_end != std::string_view::npos && end > line_end)) {
      return make_error(ErrorCode::kInvalidArgument,
                        "PEM block number {} has a broken BEGIN line: give PEM certificates",
                        labels.size() + 1);
    }
    labels.emplace_back(text.substr(start, end - start));
    pos = end + kDashes.size();
  }
  return labels;
}

}  // namespace

Result<std::string> canonical_store_name(std::string_view name) {
  for (const char* store : {kCapfTrust, kMicTrust, kCallManagerTrust}) {
    if (equals_ignoring_case(name, store)) {
      return std::string(store);
    }
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown trust store '{}': use capf-trust, mic-trust or callmanager-trust",
                    name);
}

Result<std::vector<pki::Certificate>> TrustStores::anchors(const std::string& store) {
  CAPF_ASSIGN_OR_RETURN(std::string name, canonical_store_name(store));
  // The generation is read before the entries: a change in between makes the cache look older
  // than it is, so the next call reloads; never the other way round.
  CAPF_ASSIGN_OR_RETURN(std::int64_t generation, repo_.trust_generation());
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(name); it != cache_.end() && it->second.generation == generation) {
      return it->second.certificates;
    }
  }
  // Loaded without holding mu_: the registry has its own lock, and a caller inside a registry
  // transaction must not wait on mu_ while another thread holds mu_ and waits for the registry.
  CAPF_ASSIGN_OR_RETURN(std::vector<TrustEntry> entries, repo_.list_trust(name));
  std::vector<pki::Certificate> certificates;
  certificates.reserve(entries.size());
  for (const TrustEntry& entry : entries) {
    auto cert = pki::Certificate::from_pem(entry.pem);
    if (!cert) {
      return make_error(ErrorCode::kDatabase,
                        "{} holds a certificate that no longer parses ({}, fingerprint {}): {}: "
                        "remove it and add it again",
                        name, entry.subject, entry.fingerprint, cert.error().message);
    }
    certificates.push_back(std::move(cert).value());
  }
  std::lock_guard lock(mu_);
  Cached& cached = cache_[name];
  if (generation >= cached.generation) {
    cached.generation = generation;
    cached.certificates = certificates;
  }
  return certificates;
}

Status TrustStores::add(const std::string& store, const pki::Certificate& cert,
                        const std::string& label) {
  CAPF_ASSIGN_OR_RETURN(std::string name, canonical_store_name(store));
  return repo_.add_trust(entry_for(name, cert, label));
}

Result<int> TrustStores::add_pem_bundle(const std::string& store, std::string_view pem,
                                        const std::string& label) {
  CAPF_ASSIGN_OR_RETURN(std::string name, canonical_store_name(store));
  CAPF_ASSIGN_OR_RETURN(std::vector<std::string> labels, pem_block_labels(pem));
  if (labels.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{} holds no PEM certificate: give a file with -----BEGIN CERTIFICATE----- "
                      "blocks",
                      label);
  }
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] != "CERTIFICATE") {
      return make_error(ErrorCode::kInvalidArgument,
                        "{}: PEM block number {} is a {}, not a CERTIFICATE: give certificates "
                        "only (nothing was added)",
                        label, i + 1, labels[i]);
    }
  }
  auto parsed = pki::Certificate::all_from_pem(pem);
  if (!parsed) {
    return make_error(ErrorCode::kInvalidArgument, "{}: {} (nothing was added)", label,
                      parsed.error().message);
  }
  if (parsed->size() != labels.size()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{}: {} PEM certificate blocks but {} certificates parse (nothing was added)",
                      label, labels.size(), parsed->size());
  }
  int added = 0;
  for (const pki::Certificate& cert : *parsed) {
    Status s = repo_.add_trust(entry_for(name, cert, label));
    if (s) {
      ++added;
    } else if (s.error().code != ErrorCode::kAlreadyExists) {
      return s.error().with_context(
          fmt::format("{}: adding {} after {} new certificate(s)", label, cert.subject(), added));
    }
  }
  if (added == 0) {
    return make_error(ErrorCode::kAlreadyExists, "every certificate of {} is already in {}", label,
                      name);
  }
  return added;
}

Status TrustStores::remove(const std::string& store, const std::string& fingerprint_prefix) {
  CAPF_ASSIGN_OR_RETURN(std::string name, canonical_store_name(store));
  return repo_.remove_trust(name, fingerprint_prefix);
}

Result<std::vector<TrustEntry>> TrustStores::list(const std::string& store) {
  CAPF_ASSIGN_OR_RETURN(std::string name, canonical_store_name(store));
  return repo_.list_trust(name);
}

}  // namespace capf
