#include <cstdio>
#include <filesystem>

#include "apps/opencapf/cli_util.h"
#include "capf/pki/certificate.h"
#include "capf/service/device_json.h"

namespace capf::cli {

namespace {

constexpr const char* kStoreNames = "capf-trust, mic-trust or callmanager-trust";

struct Opts : DataOptions {
  std::string store, file, label;
};

// The SHA-256 fingerprints of the certificates in `path` (PEM, one or more, or DER).
Result<std::vector<std::string>> file_fingerprints(const std::string& path) {
  CAPF_ASSIGN_OR_RETURN(auto bytes, read_file_bytes(path));
  std::vector<std::string> fingerprints;
  if (bytes.find("-----BEGIN") != std::string::npos) {
    auto certs = pki::Certificate::all_from_pem(bytes);
    if (!certs)
      return certs.error().with_context(path);
    for (const auto& c : *certs)
      fingerprints.push_back(c.fingerprint_sha256());
  } else {
    auto cert = pki::Certificate::from_der(as_bytes(bytes));
    if (!cert)
      return cert.error().with_context(path);
    fingerprints.push_back(cert->fingerprint_sha256());
  }
  return fingerprints;
}

void add_add(CLI::App& trust, CommandContext& ctx) {
  auto c = add_command<Opts>(trust, "add", "add every certificate of a PEM or DER file to a store");
  c->add_option("STORE", c.opts->store, kStoreNames)->required();
  c->add_option("FILE", c.opts->file, "PEM (one or more certificates) or DER file")->required();
  c->add_option("--label", c.opts->label, "a note kept with the entry (default: the file name)");
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto bytes, read_file_bytes(o.file));
    std::string label =
        o.label.empty() ? std::filesystem::path(o.file).filename().string() : o.label;
    CAPF_ASSIGN_OR_RETURN(auto n,
                          env.admin().trust_add(o.store, as_bytes(bytes), label, cli_actor()));
    std::printf("added %d certificate(s) to %s\n", n, o.store.c_str());
    return ok();
  });
}

void add_list(CLI::App& trust, CommandContext& ctx) {
  auto c = add_command<Opts>(trust, "list", "list a store");
  c->add_option("STORE", c.opts->store, kStoreNames)->required();
  c.add_json();
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto entries, env.admin().trust_list(o.store));
    if (o.json)
      return print_json(json_array(entries));
    const TimePoint now = env.clock().now();
    for (const auto& e : entries) {
      std::printf("%s  %s\n    expires %s%s  label %s\n", e.fingerprint.substr(0, 16).c_str(),
                  e.subject.c_str(), format_utc(e.not_after).c_str(),
                  e.not_after < now ? " (EXPIRED)" : "", e.label.c_str());
    }
    std::printf("%zu certificate(s) in %s\n", entries.size(), o.store.c_str());
    return ok();
  });
}

void add_remove(CLI::App& trust, CommandContext& ctx) {
  auto c = add_command<Opts>(
      trust, "remove",
      "remove the certificates of FILE, or the one whose fingerprint starts with FILE");
  c->add_option("STORE", c.opts->store, kStoreNames)->required();
  c->add_option("FILE", c.opts->file, "certificate file, or a SHA-256 fingerprint prefix")
      ->required();
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    std::vector<std::string> fingerprints{o.file};
    std::error_code ec;
    if (std::filesystem::is_regular_file(o.file, ec)) {
      CAPF_ASSIGN_OR_RETURN(fingerprints, file_fingerprints(o.file));
    }
    for (const auto& fp : fingerprints) {
      CAPF_TRY(env.admin().trust_remove(o.store, fp, cli_actor()));
      std::printf("removed %s from %s\n", fp.substr(0, 16).c_str(), o.store.c_str());
    }
    return ok();
  });
}

}  // namespace

void add_trust_command(CLI::App& app, CommandContext& ctx) {
  add_group(app, ctx, "trust",
            "trust stores: capf-trust (LSC issuers), mic-trust (manufacturing roots that "
            "authenticate MICs and SUDI), callmanager-trust",
            {add_add, add_list, add_remove});
}

}  // namespace capf::cli
