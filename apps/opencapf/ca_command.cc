#include <cstdio>

#include <nlohmann/json.hpp>

#include "apps/opencapf/cli_util.h"
#include "capf/pki/profiles.h"

namespace capf::cli {

void add_ca_command(CLI::App& app, CommandContext& ctx) {
  auto* ca = app.add_subcommand("ca", "the CAPF certificate authority");
  ca->require_subcommand(1);

  auto* exp = ca->add_subcommand(
      "export",
      "print the CAPF certificate (PEM) that phones and the call-control side must trust");
  struct ExportOpts {
    std::string data;
    bool chain = false, all = false;
  };
  auto eo = std::make_shared<ExportOpts>();
  add_data_option(*exp, eo->data);
  exp->add_flag("--chain", eo->chain, "also print the issuers above the CAPF certificate");
  exp->add_flag("--all", eo->all,
                "the bundle the call-control side must trust: current, its chain, and every "
                "previous identity not yet retired");
  exp->callback([eo, &ctx] {
    auto env = open_environment(ctx, eo->data);
    if (!env)
      return;
    if (eo->all) {
      auto bundle = env->identity_admin().export_bundle(true);
      if (!bundle)
        return fail(ctx, bundle.error());
      std::fputs(bundle->c_str(), stdout);
      return;
    }
    auto id = env->load_identity();
    if (!id)
      return fail(ctx, id.error());
    std::fputs(id->certificate.pem().c_str(), stdout);
    if (eo->chain) {
      for (const auto& c : id->chain)
        std::fputs(c.pem().c_str(), stdout);
    }
  });

  auto* show = ca->add_subcommand("show", "describe the CAPF certificate and check its CA profile");
  auto so = std::make_shared<std::string>();
  add_data_option(*show, *so);
  show->callback([so, &ctx] {
    auto env = open_environment(ctx, *so);
    if (!env)
      return;
    auto id = env->load_identity();
    if (!id)
      return fail(ctx, id.error());
    const auto& c = id->certificate;
    std::printf(
        "subject:     %s\nissuer:      %s\nserial:      %s\nvalid:       %s to %s\n"
        "key:         %s\nsha256:      %s\nchain:       %zu issuer(s) above it\n",
        c.subject().c_str(), c.issuer().c_str(), c.serial_hex().c_str(),
        format_utc(c.not_before()).c_str(), format_utc(c.not_after()).c_str(),
        to_string(id->key.spec()).c_str(), c.fingerprint_sha256().c_str(), id->chain.size());
    auto problems = pki::capf_profile_problems(c);
    if (problems.empty()) {
      std::printf(
          "profile:     a valid CAPF CA (CA:TRUE, pathlen:0, digitalSignature + keyCertSign)\n");
    } else {
      std::printf("profile:     NOT a valid CAPF CA; phones will fail the TLS handshake:\n");
      for (const auto& p : problems)
        std::printf("  - %s\n", p.c_str());
      ctx.exit_code = 1;
    }
  });

  auto* csr = ca->add_subcommand(
      "csr",
      "print a PKCS#10 request for the CAPF key, for a corporate CA to sign (asks for "
      "CA:TRUE, pathlen:0, keyUsage digitalSignature + keyCertSign, EKU serverAuth)");
  auto co = std::make_shared<std::string>();
  add_data_option(*csr, *co);
  csr->callback([co, &ctx] {
    auto env = open_environment(ctx, *co);
    if (!env)
      return;
    auto pem = env->identity_admin().csr_pem();
    if (!pem)
      return fail(ctx, pem.error());
    std::fputs(pem->c_str(), stdout);
  });

  struct ImportOpts {
    std::string data, cert, chain;
  };
  auto* imp = ca->add_subcommand(
      "import",
      "install the CA-signed CAPF certificate: refused, naming every problem, unless it "
      "is for the CAPF key, is a CAPF CA and chains to a root");
  auto io = std::make_shared<ImportOpts>();
  add_data_option(*imp, io->data);
  imp->add_option("CERT", io->cert, "the signed certificate (PEM or DER; may carry its chain)")
      ->required();
  imp->add_option("--chain", io->chain, "PEM of the issuing CA(s) and root");
  imp->callback([io, &ctx] {
    auto env = open_environment(ctx, io->data);
    if (!env)
      return;
    auto cert = read_file_bytes(io->cert);
    if (!cert)
      return fail(ctx, cert.error());
    std::optional<std::string> chain;
    if (!io->chain.empty()) {
      auto text = read_file_bytes(io->chain);
      if (!text)
        return fail(ctx, text.error());
      chain = *text;
    }
    std::optional<std::string_view> chain_view;
    if (chain)
      chain_view = *chain;
    auto imported = env->identity_admin().import(*cert, chain_view, cli_actor());
    if (!imported)
      return fail(ctx, imported.error());
    std::printf(
        "installed %s (issued by %s, valid until %s); the previous certificate stays "
        "trusted until `opencapf ca retire`\n",
        imported->subject().c_str(), imported->issuer().c_str(),
        format_utc(imported->not_after()).c_str());
    for (const auto& w : pki::capf_profile_warnings(*imported))
      std::fprintf(stderr, "warning: %s\n", w.c_str());
  });

  struct RegenOpts {
    std::string data, key, subject;
    int days = 5 * 365;
  };
  auto* regen = ca->add_subcommand(
      "regenerate",
      "make a new CAPF key and certificate; the previous one stays in capf-trust and "
      "callmanager-trust so phones' LSCs from it keep authenticating");
  auto ro = std::make_shared<RegenOpts>();
  add_data_option(*regen, ro->data);
  regen->add_option("--key", ro->key,
                    "rsa:2048|rsa:3072|rsa:4096|ec:p256|ec:p384 (default: as now)");
  regen->add_option("--subject", ro->subject, "subject DN (default: as now)");
  regen->add_option("--days", ro->days, "validity in days (default 1825)");
  regen->callback([ro, &ctx] {
    auto env = open_environment(ctx, ro->data);
    if (!env)
      return;
    RegenerateOptions options;
    if (!ro->key.empty()) {
      auto key = parse_key_spec(ro->key);
      if (!key)
        return fail(ctx, key.error());
      options.key = *key;
    }
    options.subject = ro->subject;
    options.days = ro->days;
    auto cert = env->identity_admin().regenerate(options, cli_actor());
    if (!cert)
      return fail(ctx, cert.error());
    std::printf(
        "new CAPF certificate %s, SHA-256 %s, valid until %s\n"
        "put it in the phones' trust lists (`opencapf ca export --all`); retire the "
        "previous one with `opencapf ca retire` once every phone has a new LSC\n",
        cert->subject().c_str(), cert->fingerprint_sha256().c_str(),
        format_utc(cert->not_after()).c_str());
  });

  struct ListOpts {
    std::string data;
    bool json = false;
  };
  auto* list = ca->add_subcommand("list", "current and previous CAPF identities");
  auto lo = std::make_shared<ListOpts>();
  add_data_option(*list, lo->data);
  list->add_flag("--json", lo->json, "print JSON");
  list->callback([lo, &ctx] {
    auto env = open_environment(ctx, lo->data);
    if (!env)
      return;
    auto identities = env->identity_admin().list();
    if (!identities)
      return fail(ctx, identities.error());
    nlohmann::json j = nlohmann::json::array();
    for (const auto& i : *identities) {
      const auto& c = i.certificate;
      if (lo->json) {
        j.push_back({{"role", i.current ? "current" : "previous"},
                     {"subject", c.subject()},
                     {"issuer", c.issuer()},
                     {"sha256", c.fingerprint_sha256()},
                     {"not_after", format_utc(c.not_after())},
                     {"expired", i.expired},
                     {"problems", i.problems}});
        continue;
      }
      std::printf("%-9s %s  %s\n          issued by %s, expires %s%s\n",
                  i.current ? "current" : "previous", c.fingerprint_sha256().substr(0, 16).c_str(),
                  c.subject().c_str(), c.issuer().c_str(), format_utc(c.not_after()).c_str(),
                  i.expired ? " (EXPIRED)" : "");
      for (const auto& p : i.problems)
        std::printf("          NOT a valid CAPF CA: %s\n", p.c_str());
    }
    if (lo->json)
      std::printf("%s\n", j.dump(2).c_str());
  });

  struct RetireOpts {
    std::string data, fingerprint;
  };
  auto* retire = ca->add_subcommand(
      "retire", "remove a previous CAPF identity from capf-trust and callmanager-trust");
  auto rto = std::make_shared<RetireOpts>();
  add_data_option(*retire, rto->data);
  retire->add_option("FINGERPRINT", rto->fingerprint, "SHA-256 prefix (see `opencapf ca list`)")
      ->required();
  retire->callback([rto, &ctx] {
    auto env = open_environment(ctx, rto->data);
    if (!env)
      return;
    Status s = env->identity_admin().retire(rto->fingerprint, cli_actor());
    if (!s)
      return fail(ctx, s.error());
    std::printf("retired %s\n", rto->fingerprint.c_str());
  });
}

}  // namespace capf::cli
