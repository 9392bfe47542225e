#include <cstdio>

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
    bool chain = false;
  };
  auto eo = std::make_shared<ExportOpts>();
  add_data_option(*exp, eo->data);
  exp->add_flag("--chain", eo->chain, "also print the issuers above the CAPF certificate");
  exp->callback([eo, &ctx] {
    auto env = open_environment(ctx, eo->data);
    if (!env)
      return;
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
}

}  // namespace capf::cli
