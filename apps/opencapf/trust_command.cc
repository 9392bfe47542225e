#include <cstdio>
#include <filesystem>

#include "apps/opencapf/cli_util.h"
#include "capf/pki/certificate.h"
#include "capf/service/device_json.h"

namespace capf::cli {
namespace {
constexpr const char* kStoreNames = "capf-trust, mic-trust or callmanager-trust";
}  // namespace

void add_trust_command(CLI::App& app, CommandContext& ctx) {
  auto* trust = app.add_subcommand(
      "trust",
      "trust stores: capf-trust (LSC issuers), mic-trust (manufacturing roots that authenticate "
      "MICs and SUDI), callmanager-trust");
  trust->require_subcommand(1);

  struct Opts {
    std::string data, store, file, label;
    bool json = false;
  };

  auto* add = trust->add_subcommand("add", "add every certificate of a PEM or DER file to a store");
  auto ao = std::make_shared<Opts>();
  add_data_option(*add, ao->data);
  add->add_option("STORE", ao->store, kStoreNames)->required();
  add->add_option("FILE", ao->file, "PEM (one or more certificates) or DER file")->required();
  add->add_option("--label", ao->label, "a note kept with the entry (default: the file name)");
  add->callback([ao, &ctx] {
    auto env = open_environment(ctx, ao->data);
    if (!env)
      return;
    auto bytes = read_file_bytes(ao->file);
    if (!bytes)
      return fail(ctx, bytes.error());
    std::string label =
        ao->label.empty() ? std::filesystem::path(ao->file).filename().string() : ao->label;
    auto n = env->admin().trust_add(ao->store, as_bytes(*bytes), label, cli_actor());
    if (!n)
      return fail(ctx, n.error());
    std::printf("added %d certificate(s) to %s\n", *n, ao->store.c_str());
  });

  auto* list = trust->add_subcommand("list", "list a store");
  auto lo = std::make_shared<Opts>();
  add_data_option(*list, lo->data);
  list->add_option("STORE", lo->store, kStoreNames)->required();
  list->add_flag("--json", lo->json, "print JSON");
  list->callback([lo, &ctx] {
    auto env = open_environment(ctx, lo->data);
    if (!env)
      return;
    auto entries = env->admin().trust_list(lo->store);
    if (!entries)
      return fail(ctx, entries.error());
    if (lo->json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& e : *entries)
        j.push_back(to_json(e));
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    const TimePoint now = env->clock().now();
    for (const auto& e : *entries) {
      std::printf("%s  %s\n    expires %s%s  label %s\n", e.fingerprint.substr(0, 16).c_str(),
                  e.subject.c_str(), format_utc(e.not_after).c_str(),
                  e.not_after < now ? " (EXPIRED)" : "", e.label.c_str());
    }
    std::printf("%zu certificate(s) in %s\n", entries->size(), lo->store.c_str());
  });

  auto* remove = trust->add_subcommand(
      "remove", "remove the certificates of FILE, or the one whose fingerprint starts with FILE");
  auto ro = std::make_shared<Opts>();
  add_data_option(*remove, ro->data);
  remove->add_option("STORE", ro->store, kStoreNames)->required();
  remove->add_option("FILE", ro->file, "certificate file, or a SHA-256 fingerprint prefix")
      ->required();
  remove->callback([ro, &ctx] {
    auto env = open_environment(ctx, ro->data);
    if (!env)
      return;
    std::vector<std::string> fingerprints;
    std::error_code ec;
    if (std::filesystem::is_regular_file(ro->file, ec)) {
      auto bytes = read_file_bytes(ro->file);
      if (!bytes)
        return fail(ctx, bytes.error());
      if (bytes->find("-----BEGIN") != std::string::npos) {
        auto certs = pki::Certificate::all_from_pem(*bytes);
        if (!certs)
          return fail(ctx, certs.error().with_context(ro->file));
        for (const auto& c : *certs)
          fingerprints.push_back(c.fingerprint_sha256());
      } else {
        auto cert = pki::Certificate::from_der(as_bytes(*bytes));
        if (!cert)
          return fail(ctx, cert.error().with_context(ro->file));
        fingerprints.push_back(cert->fingerprint_sha256());
      }
    } else {
      fingerprints.push_back(ro->file);
    }
    for (const auto& fp : fingerprints) {
      Status s = env->admin().trust_remove(ro->store, fp, cli_actor());
      if (!s)
        return fail(ctx, s.error());
      std::printf("removed %s from %s\n", fp.substr(0, 16).c_str(), ro->store.c_str());
    }
  });
}

}  // namespace capf::cli
