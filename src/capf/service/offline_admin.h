// OfflineAdmin: CUCM's Offline CA procedure (`utils capf csr dump` / `utils capf cert import`),
// for administrators: list and export the phone-signed requests that wait for the offline CA,
// import what it signed, delete requests. Blocks on the registry and files; thread-safe.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "capf/common/clock.h"
#include "capf/pki/certificate.h"
#include "capf/store/device_store.h"
#include "capf/trust/trust_stores.h"

namespace capf {

struct ExportReport {
  std::filesystem::path dir;
  std::filesystem::path archive;  // dir/capf-requests.tgz: the same files in one archive
  std::vector<CertificateRequestRecord> requests;
  std::vector<std::string> files;  // files[i]: the file in dir (and archive) of requests[i]
};

struct ImportLine {
  std::string source;   // the file, or "archive.tgz:member.der"
  std::string device;   // the device it belongs to, when known
  std::string outcome;  // what happened, in words
  bool ok = false;
};

struct ImportReport {
  std::vector<ImportLine> lines;
  int imported = 0;  // certificates now ready for their phone
  int stale = 0;     // signed for a request a newer one superseded (see `offline list --stale`)
  int errors = 0;
  bool applied = false;  // false: nothing was imported because of errors
};

class OfflineAdmin {
 public:
  // The offline CA's chain from [issuer.offline] (intermediates for the check, and sent to the
  // phone with its certificate; may be empty), asked for at each import so that a chain set
  // while the server runs (`opencapf issuer set`) counts at once. An error refuses the import.
  using ChainSource = std::function<Result<std::vector<pki::Certificate>>()>;

  OfflineAdmin(Registry& registry, TrustStores& trust, const Clock& clock, ChainSource ca_chain)
      : registry_(registry), trust_(trust), clock_(clock), ca_chain_(std::move(ca_chain)) {}
  // A fixed chain.
  OfflineAdmin(Registry& registry, TrustStores& trust, const Clock& clock,
               std::vector<pki::Certificate> ca_chain)
      : OfflineAdmin(registry, trust, clock,
                     [chain = std::move(ca_chain)]() -> Result<std::vector<pki::Certificate>> {
                       return chain;
                     }) {}

  // Requests waiting for the offline CA, oldest first; with `stale`, instead the superseded ones
  // the CA nevertheless signed (their certificates will never be delivered).
  Result<std::vector<CertificateRequestRecord>> list(bool stale);
  Result<std::int64_t> count();
  // Writes DIR/<device>.csr (PEM) for every waiting request, DIR/manifest.csv (CSV, naming each
  // request's file), and DIR/capf-requests.tgz holding the same files. A device name an older
  // version stored that is not a safe file name (it held "/" or "..", say) gives
  // <request id>.csr instead: no file is ever written outside DIR, nor a member with a path.
  Result<ExportReport> export_requests(const std::filesystem::path& dir);
  // Takes PEM or DER certificate files, folders of them, and .tgz archives (CUCM's .tgz of .der
  // files). Each certificate is matched to its request by public key and checked: not a CA
  // certificate; its subject CN the request's device; clientAuth among its extendedKeyUsage, if
  // it has one; valid now (a notBefore up to 5 minutes ahead allowed) and for 3650 days at most;
  // signed by a CA of the configured offline chain, which chains to capf-trust (CA certificates
  // in the input are not used). Nothing is imported unless every certificate passes (`partial`
  // imports the ones that do); each refusal names the certificate and what to fix. An empty or
  // unreadable chain refuses the import. Imported certificates are recorded in the ledger and go
  // to their phones at the next contact.
  // Each certificate applied and each request cancelled is written to the audit log naming the
  // actor, in the same transaction.
  Result<ImportReport> import(const std::vector<std::filesystem::path>& paths, bool partial,
                              const std::string& actor);
  // Cancels waiting requests: one by id, all of a device, or all; returns how many.
  Result<int> remove(const std::optional<std::string>& id, const std::optional<std::string>& device,
                     bool all, const std::string& actor);

 private:
  Registry& registry_;
  TrustStores& trust_;
  const Clock& clock_;
  ChainSource ca_chain_;
};

}  // namespace capf
