#include "capf/service/offline_admin.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "capf/common/file.h"
#include "capf/common/strings.h"
#include "capf/domain/issuer_mode.h"
#include "capf/pki/key.h"
#include "capf/pki/verify.h"
#include "capf/service/audit_trail.h"
#include "capf/service/csv.h"
#include "capf/service/tar_archive.h"

namespace capf {

namespace {

RequestFilter offline_waiting() {
  RequestFilter f;
  f.mode = to_string(IssuerMode::kOffline);
  f.state = RequestState::kWaiting;
  f.limit = 1000000;
  return f;
}

bool is_archive(const std::string& name) {
  return ends_with_ci(name, ".tgz") || ends_with_ci(name, ".tar.gz") || ends_with_ci(name, ".tar");
}

struct Input {
  std::string source;
  std::string data;
};

// Every certificate file named by the paths (folders: their files; archives: their members).
Status collect(const std::filesystem::path& path, std::vector<Input>& out, ImportReport& report) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    std::vector<std::filesystem::path> files;
    for (const auto& e : std::filesystem::directory_iterator(path, ec)) {
      if (e.is_regular_file())
        files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const auto& f : files)
      CAPF_TRY(collect(f, out, report));
    return ok();
  }
  if (!std::filesystem::is_regular_file(path, ec)) {
    report.lines.push_back({path.string(), "", "no such file or folder", false});
    ++report.errors;
    return ok();
  }
  if (is_archive(path.string())) {
    auto entries = read_archive(path);
    if (!entries) {
      report.lines.push_back({path.string(), "", entries.error().message, false});
      ++report.errors;
      return ok();
    }
    for (auto& e : *entries)
      out.push_back({path.string() + ":" + e.name, std::move(e.data)});
    return ok();
  }
  auto text = read_file(path);
  if (!text) {
    report.lines.push_back({path.string(), "", text.error().message, false});
    ++report.errors;
    return ok();
  }
  out.push_back({path.string(), std::move(text).value()});
  return ok();
}

// The file a request is exported to: <device>.csr, as CUCM names them, when the device name is
// one DeviceName::parse accepts (letters, digits and ._- only); otherwise, for a name an older
// version stored (it could hold "/" or ".."), <request id>.csr; request-<n>.csr if that is not a
// plain name either or is taken already (names differing in case collide on some file systems).
std::string export_file_name(const CertificateRequestRecord& r, std::size_t index,
                             std::set<std::string>& used) {
  auto plain = [](std::string_view s) {
    return !s.empty() && std::isalnum(static_cast<unsigned char>(s.front())) &&
           std::all_of(s.begin(), s.end(), [](char c) {
             return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
           });
  };
  auto name = DeviceName::parse_stored(r.device_name);
  std::string stem = name && name->is_file_safe() ? r.device_name : r.id;
  std::string key = to_lower(stem);
  if (plain(stem) && stem.size() <= 100 && used.insert(key).second)
    return stem + ".csr";
  for (std::size_t n = index + 1;; ++n) {
    stem = fmt::format("request-{}", n);
    if (used.insert(stem).second)
      return stem + ".csr";
  }
}

// What an imported certificate must be to become a phone's LSC (docs/mode-offline.md).
constexpr auto kClockSkew = std::chrono::minutes(5);  // the offline CA's clock may be ahead
constexpr int kMaxLifetimeDays = 3650;  // the longest LSC `[lsc] validity_days` allows

// Whether `issuer` signed `leaf` (names, key identifiers and the signature itself).
bool signed_by(const pki::Certificate& leaf, const pki::Certificate& issuer) {
  EVP_PKEY* key = X509_get0_pubkey(issuer.get());
  return X509_check_issued(issuer.get(), leaf.get()) == X509_V_OK && key != nullptr &&
         X509_verify(leaf.get(), key) == 1;
}

// Why `leaf` may not be `request`'s LSC, or "" if it may. The key already matches (that is how
// the request was found). It must be an end-entity certificate for the request's device, usable
// for TLS client authentication (phones present their LSC to CUCM; no extendedKeyUsage is no
// restriction), valid now and not for longer than an LSC may be, and signed by a CA of the
// configured offline chain, which chains to capf-trust.
std::string import_problem(const pki::Certificate& leaf, const CertificateRequestRecord& request,
                           const std::vector<pki::Certificate>& ca_chain,
                           const std::vector<pki::Certificate>& anchors, TimePoint now) {
  const std::string what = fmt::format("{} (serial {})", leaf.subject(), leaf.serial_hex());
  if (leaf.is_ca()) {
    return fmt::format(
        "{} is a CA certificate (basicConstraints CA:TRUE): an LSC must be an end-entity "
        "certificate; have the offline CA sign the request again with CA:FALSE",
        what);
  }
  if (leaf.common_name() != request.device_name) {
    return fmt::format(
        "{} names '{}', not the device {} of request {}: have the offline CA keep the request's "
        "subject (CN={})",
        what, leaf.common_name(), request.device_name, request.id, request.device_name);
  }
  X509* x = leaf.get();
  if ((X509_get_extension_flags(x) & EXFLAG_XKUSAGE) != 0 &&
      (X509_get_extended_key_usage(x) & (XKU_SSL_CLIENT | XKU_ANYEKU)) == 0) {
    return fmt::format(
        "{} has an extendedKeyUsage without clientAuth: the phone could not use it to reach "
        "CUCM; have the offline CA sign with clientAuth (and serverAuth), as CAPF's own LSCs have",
        what);
  }
  if (leaf.not_after() <= now)
    return fmt::format("{} expired on {}", what, format_utc(leaf.not_after()));
  if (leaf.not_before() > now + kClockSkew) {
    return fmt::format("{} is not valid until {}: check the offline CA's clock, or import it then",
                       what, format_utc(leaf.not_before()));
  }
  const auto days = std::chrono::floor<std::chrono::days>(leaf.not_after() - leaf.not_before());
  if (days.count() > kMaxLifetimeDays) {
    return fmt::format(
        "{} is valid for {} days, more than the {} an LSC may be: have the offline "
        "CA sign it for less",
        what, days.count(), kMaxLifetimeDays);
  }
  if (std::none_of(ca_chain.begin(), ca_chain.end(),
                   [&](const pki::Certificate& ca) { return signed_by(leaf, ca); })) {
    std::vector<std::string> cas;
    for (const auto& ca : ca_chain)
      cas.push_back(ca.subject());
    return fmt::format(
        "{} is signed by {}, which is not in the [issuer.offline] chain ({}): only the offline "
        "CA's certificates are imported (if the CA changed, set the new chain with `opencapf "
        "issuer set --mode offline --ca-chain FILE`)",
        what, leaf.issuer(), fmt::join(cas, "; "));
  }
  pki::VerifyOptions options;
  options.at = std::max(now, leaf.not_before());  // within the skew allowed above
  auto chained = pki::verify_chain(leaf, anchors, ca_chain, options);
  if (!chained) {
    return fmt::format(
        "{} does not chain to capf-trust: {} (add the offline CA's root with `opencapf trust add "
        "capf-trust ROOT.pem`)",
        what, chained.error().message);
  }
  return "";
}

}  // namespace

Result<std::vector<CertificateRequestRecord>> OfflineAdmin::list(bool stale) {
  if (!stale)
    return registry_.list_requests(offline_waiting());
  RequestFilter f;
  f.state = RequestState::kSuperseded;
  f.limit = 1000000;
  CAPF_ASSIGN_OR_RETURN(auto superseded, registry_.list_requests(f));
  std::vector<CertificateRequestRecord> out;
  for (auto& r : superseded) {
    if (!r.certificate_pem.empty())
      out.push_back(std::move(r));
  }
  return out;
}

Result<std::int64_t> OfflineAdmin::count() {
  return registry_.count_requests(offline_waiting());
}

Result<ExportReport> OfflineAdmin::export_requests(const std::filesystem::path& dir) {
  CAPF_ASSIGN_OR_RETURN(auto requests, registry_.list_requests(offline_waiting()));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec)
    return make_error(ErrorCode::kIo, "cannot create {}: {}", dir.string(), ec.message());
  ExportReport report;
  report.dir = dir;
  report.archive = dir / "capf-requests.tgz";
  std::vector<ArchiveEntry> entries;
  std::string manifest =
      csv_line({"request_id", "device", "key", "created", "spki_sha256", "file"});
  std::set<std::string> used;
  for (const auto& r : requests) {
    // One file per device: insert_request supersedes older ones, so a device has one waiting.
    const std::string file = export_file_name(r, entries.size(), used);
    std::ofstream out(dir / file, std::ios::trunc);
    out << r.csr_pem;
    if (!out)
      return make_error(ErrorCode::kIo, "cannot write {}", (dir / file).string());
    entries.push_back({file, r.csr_pem});
    report.files.push_back(file);
    manifest += csv_line(
        {r.id, r.device_name, r.key_spec, format_utc(r.created), r.spki_fingerprint, file});
  }
  {
    std::ofstream out(dir / "manifest.csv", std::ios::trunc);
    out << manifest;
    if (!out)
      return make_error(ErrorCode::kIo, "cannot write {}", (dir / "manifest.csv").string());
  }
  entries.push_back({"manifest.csv", manifest});
  CAPF_TRY(write_tgz(report.archive, entries));
  report.requests = std::move(requests);
  return report;
}

Result<ImportReport> OfflineAdmin::import(const std::vector<std::filesystem::path>& paths,
                                          bool partial, const std::string& actor) {
  ImportReport report;
  std::vector<Input> inputs;
  for (const auto& p : paths)
    CAPF_TRY(collect(p, inputs, report));

  // Parse everything; CA certificates in the input join the chain used for the check.
  struct Candidate {
    std::string source;
    pki::Certificate cert;
  };
  std::vector<Candidate> candidates;
  auto configured_chain = ca_chain_();
  if (!configured_chain)
    return configured_chain.error().with_context("nothing imported");
  const std::vector<pki::Certificate>& ca_chain = *configured_chain;
  if (ca_chain.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "nothing imported: [issuer.offline] names no CA chain, so no certificate "
                      "can be checked against the offline CA: set it with `opencapf issuer set "
                      "--mode offline --ca-chain FILE`");
  }
  for (const Input& in : inputs) {
    std::vector<pki::Certificate> certs;
    if (in.data.find("-----BEGIN") != std::string::npos) {
      auto all = pki::Certificate::all_from_pem(in.data);
      if (all)
        certs = std::move(all).value();
    } else if (auto one = pki::Certificate::from_der(as_bytes(in.data)); one) {
      certs.push_back(std::move(one).value());
    }
    if (certs.empty()) {
      if (ends_with_ci(in.source, "manifest.csv"))
        continue;  // an exported manifest came along
      report.lines.push_back({in.source, "", "not a PEM or DER certificate", false});
      ++report.errors;
      continue;
    }
    // CA certificates are candidates too: one that carries a requested key is refused below;
    // the others (a copy of the chain, say) are passed over, as only the configured chain counts.
    for (auto& c : certs)
      candidates.push_back({in.source, std::move(c)});
  }
  CAPF_ASSIGN_OR_RETURN(auto anchors, trust_.anchors(kCapfTrust));

  struct Match {
    CertificateRequestRecord request;
    pki::Certificate cert;
    std::size_t line;
    bool stale;
  };
  std::vector<Match> matches;
  const TimePoint now = clock_.now();
  for (const Candidate& leaf : candidates) {
    RequestFilter f;
    f.spki_fingerprint = pki::spki_fingerprint(leaf.cert.spki_der());
    CAPF_ASSIGN_OR_RETURN(auto found, registry_.list_requests(f));
    ImportLine line{leaf.source, "", "", false};
    // The newest request with this key decides.
    const CertificateRequestRecord* request = found.empty() ? nullptr : &found.back();
    std::string problem;
    if (request != nullptr)
      problem = import_problem(leaf.cert, *request, ca_chain, anchors, now);
    if (request == nullptr && leaf.cert.is_ca()) {
      continue;  // part of a chain
    } else if (request == nullptr) {
      line.outcome = fmt::format(
          "no request has the key of {} (serial {}): it was not requested "
          "through this CAPF",
          leaf.cert.subject(), leaf.cert.serial_hex());
    } else if (!problem.empty()) {
      line.device = request->device_name;
      line.outcome = std::move(problem);
    } else if (request->state == RequestState::kReady ||
               request->state == RequestState::kDelivered) {
      line.device = request->device_name;
      line.ok = true;
      line.outcome =
          fmt::format("already imported for {} (request {})", request->device_name, request->id);
      report.lines.push_back(line);
      continue;
    } else if (request->state == RequestState::kWaiting ||
               request->state == RequestState::kSuperseded) {
      line.device = request->device_name;
      line.ok = true;
      bool stale = request->state == RequestState::kSuperseded;
      line.outcome = stale ? fmt::format(
                                 "stale: signed for request {} of {}, which a newer "
                                 "request replaced; it will not be delivered",
                                 request->id, request->device_name)
                           : fmt::format(
                                 "imported for {} (request {}, serial {}); the phone "
                                 "receives it at its next contact",
                                 request->device_name, request->id, leaf.cert.serial_hex());
      matches.push_back({*request, leaf.cert, report.lines.size(), stale});
    } else {
      line.device = request->device_name;
      line.outcome = fmt::format("request {} of {} is {}: not imported", request->id,
                                 request->device_name, to_string(request->state));
    }
    if (!line.ok)
      ++report.errors;
    report.lines.push_back(line);
  }
  if (report.errors > 0 && !partial) {
    for (auto& m : matches) {
      report.lines[m.line].ok = false;
      report.lines[m.line].outcome +=
          " — not applied: other files have errors (fix them, or "
          "import with --partial)";
    }
    return report;
  }
  // All of it in one transaction: nothing is imported half.
  Status applied = registry_.transact([&]() -> Status {
    for (const Match& m : matches) {
      CertificateRequestRecord r = m.request;
      std::string pem = m.cert.pem();
      for (const auto& c : ca_chain)
        pem += c.pem();
      r.certificate_pem = pem;
      r.certificate_serial = m.cert.serial_hex();
      nlohmann::json before{{"request", r.id}, {"state", to_string(m.request.state)}};
      nlohmann::json after{{"request", r.id},
                           {"state", to_string(m.stale ? m.request.state : RequestState::kReady)},
                           {"certificate", certificate_summary(m.cert)}};
      CAPF_TRY(record_audit(registry_, actor, "offline.import", r.device_name, before.dump(),
                            after.dump()));
      if (m.stale) {
        CAPF_TRY(registry_.update_request(r));
        continue;
      }
      r.state = RequestState::kReady;
      CAPF_TRY(registry_.update_request(r));
      IssuedCertificate record;
      record.serial_hex = m.cert.serial_hex();
      record.device_name = r.device_name;
      record.issuer = m.cert.issuer();
      record.subject = m.cert.subject();
      record.key_spec = r.key_spec;
      record.not_before = m.cert.not_before();
      record.not_after = m.cert.not_after();
      record.pem = m.cert.pem();
      record.state = CertificateState::kIssued;
      record.issued_at = clock_.now();
      record.state_time = record.issued_at;
      record.session = "import";
      Status recorded = registry_.record_issued(record);
      if (!recorded && recorded.error().code != ErrorCode::kAlreadyExists)
        return recorded;
      CAPF_TRY(registry_.append_event(
          DeviceEvent{r.device_name, record.issued_at, "", "imported",
                      fmt::format("offline CA certificate serial {} for request {}",
                                  record.serial_hex, r.id)}));
    }
    return ok();
  });
  if (!applied)
    return applied.error().with_context("importing");
  report.applied = true;
  for (const Match& m : matches)
    (m.stale ? report.stale : report.imported) += 1;
  return report;
}

Result<int> OfflineAdmin::remove(const std::optional<std::string>& id,
                                 const std::optional<std::string>& device, bool all,
                                 const std::string& actor) {
  if (!id && !device && !all) {
    return make_error(ErrorCode::kInvalidArgument,
                      "say which requests to delete: a request id, --device NAME, or --all");
  }
  RequestFilter f = offline_waiting();
  if (device)
    f.device_name = *device;
  CAPF_ASSIGN_OR_RETURN(auto waiting, registry_.list_requests(f));
  int removed = 0;
  Status s = registry_.transact([&]() -> Status {
    for (auto& r : waiting) {
      if (id && r.id != *id)
        continue;
      const RequestState was = r.state;
      r.state = RequestState::kCancelled;
      r.last_error = "deleted by an administrator";
      CAPF_TRY(registry_.update_request(r));
      CAPF_TRY(
          record_audit(registry_, actor, "offline.delete", r.device_name,
                       nlohmann::json{{"request", r.id}, {"state", to_string(was)}}.dump(),
                       nlohmann::json{{"request", r.id}, {"state", to_string(r.state)}}.dump()));
      ++removed;
    }
    return ok();
  });
  if (!s)
    return s.error();
  if (removed == 0 && id) {
    return make_error(ErrorCode::kNotFound,
                      "no waiting offline request {}: see `opencapf offline list`", *id);
  }
  return removed;
}

}  // namespace capf
