// `opencapf issuer show|set`: where LSCs come from and whether its prerequisites are met.
#include <cstdio>
#include <filesystem>

#include "apps/opencapf/cli_util.h"

namespace capf::cli {

namespace {

void print_status(const IssuerStatus& s) {
  const IssuerConfig& c = s.config;
  std::printf("%-22s %s\n", "mode:", std::string(to_string(c.mode)).c_str());
  std::printf("%-22s %s\n", "issuer:", s.description.c_str());
  if (c.mode == IssuerMode::kOnline) {
    const OnlineCaConfig& o = c.online;
    std::printf("%-22s %s\n", "protocol:", std::string(to_string(o.protocol)).c_str());
    std::printf("%-22s %s\n", "url:", o.url.c_str());
    std::printf("%-22s %s\n", "ca chain:", o.ca_chain_file.c_str());
    if (!o.username.empty())
      std::printf("%-22s %s (%s)\n", "username:", o.username.c_str(), o.auth.c_str());
    if (!o.template_name.empty())
      std::printf("%-22s %s\n", "template:", o.template_name.c_str());
    if (!o.profile.empty())
      std::printf("%-22s %s\n", "profile:", o.profile.c_str());
    std::string secret = !o.password_file.empty()  ? "file " + o.password_file
                         : !o.password_env.empty() ? "environment variable " + o.password_env
                                                   : std::string("none");
    std::printf("%-22s %s\n", "secret:", secret.c_str());
  } else if (c.mode == IssuerMode::kOffline) {
    std::printf("%-22s %s\n", "ca chain:", c.offline.ca_chain_file.c_str());
  }
  std::printf("%-22s %lld waiting for a CA, %lld ready for their phone\n",
              "requests:", static_cast<long long>(s.waiting), static_cast<long long>(s.ready));
  if (s.problems.empty()) {
    std::printf("%-22s ready\n", "prerequisites:");
  } else {
    std::printf("%-22s NOT READY\n", "prerequisites:");
    for (const auto& p : s.problems)
      std::printf("  - %s\n", p.c_str());
  }
}

void add_show(CLI::App& issuer, CommandContext& ctx) {
  auto c = add_command(issuer, "show", "the issuer in use and its prerequisites");
  c.with_environment(ctx, [&ctx](Environment& env, const DataOptions&) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto admin, env.issuer_admin());
    CAPF_ASSIGN_OR_RETURN(auto status, admin->show());
    print_status(status);
    if (!status.problems.empty())
      ctx.exit_code = 1;
    return ok();
  });
}

struct SetOpts : DataOptions {
  IssuerChange change;
};

void add_set(CLI::App& issuer, CommandContext& ctx) {
  auto c = add_command<SetOpts>(
      issuer, "set",
      "switch mode or CA; refuses, naming every missing piece, unless all prerequisites "
      "are met (the running server uses it from the next phone session)");
  IssuerChange& o = c.opts->change;
  c->add_option("--mode", o.mode, "capf|online|offline")->required();
  c->add_option("--protocol", o.protocol, "online: adcs|scep|acme|cfssl");
  c->add_option("--url", o.url,
                "online: https://ca/certsrv (adcs), http://ca/scep, the ACME directory, "
                "http(s)://cfssl:8888");
  c->add_option("--ca-chain", o.ca_chain, "PEM of the CA that signs LSCs, up to its root");
  c->add_option("--key-types", o.key_types, "keys the CA can issue, e.g. rsa:2048 ec:p256");
  c->add_option("--username", o.username, "adcs: DOMAIN\\user");
  c->add_option("--password-file", o.password_file,
                "file with the adcs password, scep challenge or cfssl HMAC key (hex)");
  c->add_option("--password-env", o.password_env, "or an environment variable holding it");
  c->add_option("--auth", o.auth, "adcs: ntlm (default) or basic");
  c->add_option("--template", o.template_name, "adcs certificate template");
  c->add_option("--profile", o.profile, "cfssl signing profile");
  c->add_option("--acme-email", o.acme_email, "acme account contact");
  c->add_option("--acme-suffix", o.acme_suffix,
                "acme: identifier = lower-case device name + this, e.g. .phones.example.net");
  c->add_option("--timeout", o.timeout, "seconds per exchange with the CA (default 20)");
  c->add_option("--retries", o.retries, "retries after a network error (default 2)");
  c->add_option("--poll", o.poll, "seconds between asking the CA about held requests");
  c.with_environment(ctx, [](Environment& env, const SetOpts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto admin, env.issuer_admin());
    std::error_code ec;
    CAPF_ASSIGN_OR_RETURN(auto status,
                          admin->change(o.change, cli_actor(), std::filesystem::current_path(ec)));
    std::printf("issuer set; the running server uses it from the next phone session\n");
    print_status(status);
    return ok();
  });
}

}  // namespace

void add_issuer_command(CLI::App& app, CommandContext& ctx) {
  add_group(app, ctx, "issuer",
            "where LSCs come from: CAPF signs them, an online CA, or an offline CA",
            {add_show, add_set});
}

}  // namespace capf::cli
