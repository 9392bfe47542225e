#include <cstdio>

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

}  // namespace

void add_issuer_command(CLI::App& app, CommandContext& ctx) {
  auto* issuer = app.add_subcommand(
      "issuer", "where LSCs come from: CAPF signs them, an online CA, or an offline CA");
  issuer->require_subcommand(1);

  auto* show = issuer->add_subcommand("show", "the issuer in use and its prerequisites");
  auto data_show = std::make_shared<std::string>();
  add_data_option(*show, *data_show);
  show->callback([data_show, &ctx] {
    auto env = open_environment(ctx, *data_show);
    if (!env)
      return;
    auto admin = env->issuer_admin();
    if (!admin)
      return fail(ctx, admin.error());
    auto status = (*admin)->show();
    if (!status)
      return fail(ctx, status.error());
    print_status(*status);
    if (!status->problems.empty())
      ctx.exit_code = 1;
  });

  auto* set = issuer->add_subcommand(
      "set",
      "switch mode or CA; refuses, naming every missing piece, unless all prerequisites "
      "are met (the running server uses it from the next phone session)");
  struct Opts {
    std::string data, mode, protocol, url, ca_chain, username, password_file, password_env, auth,
        template_name, profile, acme_email, acme_suffix;
    std::vector<std::string> key_types;
    std::optional<int> timeout, retries, poll;
  };
  auto o = std::make_shared<Opts>();
  add_data_option(*set, o->data);
  set->add_option("--mode", o->mode, "capf|online|offline")->required();
  set->add_option("--protocol", o->protocol, "online: adcs|scep|acme|cfssl");
  set->add_option("--url", o->url,
                  "online: https://ca/certsrv (adcs), http://ca/scep, the ACME directory, "
                  "http(s)://cfssl:8888");
  set->add_option("--ca-chain", o->ca_chain, "PEM of the CA that signs LSCs, up to its root");
  set->add_option("--key-types", o->key_types, "keys the CA can issue, e.g. rsa:2048 ec:p256");
  set->add_option("--username", o->username, "adcs: DOMAIN\\user");
  set->add_option("--password-file", o->password_file,
                  "file with the adcs password, scep challenge or cfssl HMAC key (hex)");
  set->add_option("--password-env", o->password_env, "or an environment variable holding it");
  set->add_option("--auth", o->auth, "adcs: ntlm (default) or basic");
  set->add_option("--template", o->template_name, "adcs certificate template");
  set->add_option("--profile", o->profile, "cfssl signing profile");
  set->add_option("--acme-email", o->acme_email, "acme account contact");
  set->add_option("--acme-suffix", o->acme_suffix,
                  "acme: identifier = lower-case device name + this, e.g. .phones.example.net");
  set->add_option("--timeout", o->timeout, "seconds per exchange with the CA (default 20)");
  set->add_option("--retries", o->retries, "retries after a network error (default 2)");
  set->add_option("--poll", o->poll, "seconds between asking the CA about held requests");
  set->callback([o, &ctx] {
    auto env = open_environment(ctx, o->data);
    if (!env)
      return;
    IssuerConfig c = env->config().issuer;  // unchanged settings are kept
    auto mode = parse_issuer_mode(o->mode);
    if (!mode)
      return fail(ctx, mode.error());
    c.mode = *mode;
    OnlineCaConfig& online = c.online;
    OfflineCaConfig& offline = c.offline;
    if (!o->protocol.empty()) {
      auto protocol = parse_online_protocol(o->protocol);
      if (!protocol)
        return fail(ctx, protocol.error());
      online.protocol = *protocol;
    }
    if (!o->url.empty())
      online.url = o->url;
    if (!o->ca_chain.empty()) {
      std::error_code ec;
      std::string path = std::filesystem::absolute(o->ca_chain, ec).string();
      (c.mode == IssuerMode::kOffline ? offline.ca_chain_file : online.ca_chain_file) = path;
    }
    if (!o->key_types.empty()) {
      (c.mode == IssuerMode::kOffline ? offline.key_types : online.key_types) = o->key_types;
    }
    if (!o->username.empty())
      online.username = o->username;
    if (!o->password_file.empty()) {
      std::error_code ec;
      online.password_file = std::filesystem::absolute(o->password_file, ec).string();
      online.password_env.clear();
    }
    if (!o->password_env.empty()) {
      online.password_env = o->password_env;
      online.password_file.clear();
    }
    if (!o->auth.empty())
      online.auth = o->auth;
    if (!o->template_name.empty())
      online.template_name = o->template_name;
    if (!o->profile.empty())
      online.profile = o->profile;
    if (!o->acme_email.empty())
      online.acme_email = o->acme_email;
    if (!o->acme_suffix.empty())
      online.acme_identifier_suffix = o->acme_suffix;
    if (o->timeout)
      online.timeout_seconds = *o->timeout;
    if (o->retries)
      online.retries = *o->retries;
    if (o->poll)
      online.poll_seconds = *o->poll;
    auto admin = env->issuer_admin();
    if (!admin)
      return fail(ctx, admin.error());
    auto status = (*admin)->set(c, cli_actor());
    if (!status)
      return fail(ctx, status.error());
    std::printf("issuer set; the running server uses it from the next phone session\n");
    print_status(*status);
  });
}

}  // namespace capf::cli
