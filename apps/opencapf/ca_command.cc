// `opencapf ca export|show|csr|import|regenerate|list|retire`: the CAPF certificate authority,
// its key and certificate, and the previous identities phones may still trust.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "apps/opencapf/cli_util.h"
#include "capf/pki/profiles.h"

namespace capf::cli {

namespace {

void add_export(CLI::App& ca, CommandContext& ctx) {
  struct Opts : DataOptions {
    bool chain = false, all = false;
  };
  auto c = add_command<Opts>(
      ca, "export",
      "print the CAPF certificate (PEM) that phones and the call-control side must trust");
  c->add_flag("--chain", c.opts->chain, "also print the issuers above the CAPF certificate");
  c->add_flag("--all", c.opts->all,
              "the bundle the call-control side must trust: current, its chain, and every "
              "previous identity not yet retired");
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    if (o.all) {
      CAPF_ASSIGN_OR_RETURN(auto bundle, env.identity_admin().export_bundle(true));
      std::fputs(bundle.c_str(), stdout);
      return ok();
    }
    CAPF_ASSIGN_OR_RETURN(auto id, env.load_identity());
    std::fputs(id.certificate.pem().c_str(), stdout);
    if (o.chain) {
      for (const auto& c : id.chain)
        std::fputs(c.pem().c_str(), stdout);
    }
    return ok();
  });
}

void add_show(CLI::App& ca, CommandContext& ctx) {
  auto c = add_command(ca, "show", "describe the CAPF certificate and check its CA profile");
  c.with_environment(ctx, [&ctx](Environment& env, const DataOptions&) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto id, env.load_identity());
    const auto& cert = id.certificate;
    std::printf(
        "subject:     %s\nissuer:      %s\nserial:      %s\nvalid:       %s to %s\n"
        "key:         %s\nsha256:      %s\nchain:       %zu issuer(s) above it\n",
        cert.subject().c_str(), cert.issuer().c_str(), cert.serial_hex().c_str(),
        format_utc(cert.not_before()).c_str(), format_utc(cert.not_after()).c_str(),
        to_string(id.key.spec()).c_str(), cert.fingerprint_sha256().c_str(), id.chain.size());
    auto problems = pki::capf_profile_problems(cert);
    if (problems.empty()) {
      std::printf(
          "profile:     a valid CAPF CA (CA:TRUE, pathlen:0, digitalSignature + keyCertSign)\n");
      return ok();
    }
    std::printf("profile:     NOT a valid CAPF CA; phones will fail the TLS handshake:\n");
    for (const auto& p : problems)
      std::printf("  - %s\n", p.c_str());
    ctx.exit_code = 1;
    return ok();
  });
}

void add_csr(CLI::App& ca, CommandContext& ctx) {
  auto c =
      add_command(ca, "csr",
                  "print a PKCS#10 request for the CAPF key, for a corporate CA to sign (asks for "
                  "CA:TRUE, pathlen:0, keyUsage digitalSignature + keyCertSign, EKU serverAuth)");
  c.with_environment(ctx, [](Environment& env, const DataOptions&) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto pem, env.identity_admin().csr_pem());
    std::fputs(pem.c_str(), stdout);
    return ok();
  });
}

void add_import(CLI::App& ca, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::string cert, chain;
  };
  auto c = add_command<Opts>(
      ca, "import",
      "install the CA-signed CAPF certificate: refused, naming every problem, unless it "
      "is for the CAPF key, is a CAPF CA and chains to a root");
  c->add_option("CERT", c.opts->cert, "the signed certificate (PEM or DER; may carry its chain)")
      ->required();
  c->add_option("--chain", c.opts->chain, "PEM of the issuing CA(s) and root");
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto cert, read_file_bytes(o.cert));
    std::optional<std::string> chain;
    if (!o.chain.empty()) {
      CAPF_ASSIGN_OR_RETURN(chain, read_file_bytes(o.chain));
    }
    std::optional<std::string_view> chain_view;
    if (chain)
      chain_view = *chain;
    CAPF_ASSIGN_OR_RETURN(auto imported,
                          env.identity_admin().import(cert, chain_view, cli_actor()));
    std::printf(
        "installed %s (issued by %s, valid until %s); the previous certificate stays "
        "trusted until `opencapf ca retire`\n",
        imported.subject().c_str(), imported.issuer().c_str(),
        format_utc(imported.not_after()).c_str());
    for (const auto& w : pki::capf_profile_warnings(imported))
      std::fprintf(stderr, "warning: %s\n", w.c_str());
    return ok();
  });
}

void add_regenerate(CLI::App& ca, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::string key;
    RegenerateOptions regenerate;  // all but the key, which --key names
  };
  auto c = add_command<Opts>(
      ca, "regenerate",
      "make a new CAPF key and certificate; the previous one stays in capf-trust and "
      "callmanager-trust so phones' LSCs from it keep authenticating");
  c->add_option("--key", c.opts->key,
                "rsa:2048|rsa:3072|rsa:4096|ec:p256|ec:p384 (default: as now)");
  c->add_option("--subject", c.opts->regenerate.subject, "subject DN (default: as now)");
  c->add_option("--days", c.opts->regenerate.days, "validity in days (default 1825)");
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    RegenerateOptions options = o.regenerate;
    if (!o.key.empty()) {
      CAPF_ASSIGN_OR_RETURN(options.key, parse_key_spec(o.key));
    }
    CAPF_ASSIGN_OR_RETURN(auto cert, env.identity_admin().regenerate(options, cli_actor()));
    std::printf(
        "new CAPF certificate %s, SHA-256 %s, valid until %s\n"
        "rebuild and publish the phones' ITL (`opencapf itl build`, it lists both), and the "
        "call-control trust (`opencapf ca export --all`); retire the previous one with "
        "`opencapf ca retire` once every phone has a new LSC\n",
        cert.subject().c_str(), cert.fingerprint_sha256().c_str(),
        format_utc(cert.not_after()).c_str());
    return ok();
  });
}

void add_list(CLI::App& ca, CommandContext& ctx) {
  auto c = add_command(ca, "list", "current and previous CAPF identities");
  c.add_json();
  c.with_environment(ctx, [](Environment& env, const DataOptions& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto identities, env.identity_admin().list());
    if (o.json) {
      return print_json(json_array(identities, [](const auto& i) {
        const auto& cert = i.certificate;
        return nlohmann::json{{"role", i.current ? "current" : "previous"},
                              {"subject", cert.subject()},
                              {"issuer", cert.issuer()},
                              {"sha256", cert.fingerprint_sha256()},
                              {"not_after", format_utc(cert.not_after())},
                              {"expired", i.expired},
                              {"problems", i.problems}};
      }));
    }
    for (const auto& i : identities) {
      const auto& cert = i.certificate;
      std::printf("%-9s %s  %s\n          issued by %s, expires %s%s\n",
                  i.current ? "current" : "previous",
                  cert.fingerprint_sha256().substr(0, 16).c_str(), cert.subject().c_str(),
                  cert.issuer().c_str(), format_utc(cert.not_after()).c_str(),
                  i.expired ? " (EXPIRED)" : "");
      for (const auto& p : i.problems)
        std::printf("          NOT a valid CAPF CA: %s\n", p.c_str());
    }
    return ok();
  });
}

void add_retire(CLI::App& ca, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::string fingerprint;
  };
  auto c = add_command<Opts>(
      ca, "retire", "remove a previous CAPF identity from capf-trust and callmanager-trust");
  c->add_option("FINGERPRINT", c.opts->fingerprint, "SHA-256 prefix (see `opencapf ca list`)")
      ->required();
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    CAPF_TRY(env.identity_admin().retire(o.fingerprint, cli_actor()));
    std::printf("retired %s\n", o.fingerprint.c_str());
    return ok();
  });
}

}  // namespace

void add_ca_command(CLI::App& app, CommandContext& ctx) {
  add_group(app, ctx, "ca", "the CAPF certificate authority",
            {add_export, add_show, add_csr, add_import, add_regenerate, add_list, add_retire});
}

}  // namespace capf::cli
