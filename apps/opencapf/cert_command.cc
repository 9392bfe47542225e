#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "apps/opencapf/cli_util.h"
#include "capf/service/device_json.h"

namespace capf::cli {

void add_cert_command(CLI::App& app, CommandContext& ctx) {
  auto* cert = app.add_subcommand("cert", "the issuance ledger: every certificate CAPF issued");
  cert->require_subcommand(1);

  struct ListOpts {
    std::string data, device, state, expires;
    std::size_t limit = 1000;
    bool json = false;
  };
  auto* list = cert->add_subcommand("list", "certificates, newest first, with filters");
  auto lo = std::make_shared<ListOpts>();
  add_data_option(*list, lo->data);
  list->add_option("--device", lo->device, "issued to this device");
  list->add_option("--state", lo->state, "issued|installed|rejected|revoked");
  list->add_option("--expires-before", lo->expires, "UTC date, e.g. 2027-01-01");
  list->add_option("--limit", lo->limit, "at most this many (default 1000)");
  list->add_flag("--json", lo->json, "print JSON");
  list->callback([lo, &ctx] {
    auto env = open_environment(ctx, lo->data);
    if (!env)
      return;
    CertificateFilter f;
    f.limit = lo->limit;
    if (!lo->device.empty()) {
      auto name = DeviceName::parse(lo->device);
      if (!name)
        return fail(ctx, name.error());
      f.device_name = name->str();
    }
    if (!lo->state.empty()) {
      auto state = parse_certificate_state(lo->state);
      if (!state)
        return fail(ctx, state.error());
      f.state = *state;
    }
    if (!lo->expires.empty()) {
      auto when = parse_utc(lo->expires);
      if (!when)
        return fail_usage(ctx, "--expires-before needs a UTC date such as 2027-01-01");
      f.expires_before = *when;
    }
    auto certs = env->certificate_admin().list(f);
    if (!certs)
      return fail(ctx, certs.error());
    if (lo->json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& c : *certs) {
        auto cj = to_json(c);
        cj.erase("pem");
        j.push_back(cj);
      }
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    const TimePoint now = env->clock().now();
    std::printf("%-34s %-17s %-9s %-10s %s\n", "SERIAL", "DEVICE", "KEY", "STATE", "EXPIRES");
    for (const auto& c : *certs) {
      std::printf("%-34s %-17s %-9s %-10s %s%s%s\n", c.serial_hex.c_str(), c.device_name.c_str(),
                  c.key_spec.c_str(), std::string(to_string(c.state)).c_str(),
                  format_utc(c.not_after).c_str(), c.not_after < now ? " (EXPIRED)" : "",
                  c.revocation_reason.empty() ? "" : (" " + c.revocation_reason).c_str());
    }
    std::printf("%zu certificate(s)\n", certs->size());
  });

  struct ShowOpts {
    std::string data, serial;
    bool json = false;
  };
  auto* show = cert->add_subcommand("show", "one certificate: details and PEM");
  auto so = std::make_shared<ShowOpts>();
  add_data_option(*show, so->data);
  show->add_option("SERIAL", so->serial, "serial number (hex)")->required();
  show->add_flag("--json", so->json, "print JSON");
  show->callback([so, &ctx] {
    auto env = open_environment(ctx, so->data);
    if (!env)
      return;
    auto c = env->certificate_admin().show(so->serial);
    if (!c)
      return fail(ctx, c.error());
    if (so->json) {
      std::printf("%s\n", to_json(*c).dump(2).c_str());
      return;
    }
    std::printf(
        "serial:     %s\ndevice:     %s\nsubject:    %s\nissuer:     %s\nkey:        %s\n"
        "valid:      %s to %s\nstate:      %s%s%s (%s)\nissued:     %s in session %s\n%s",
        c->serial_hex.c_str(), c->device_name.c_str(), c->subject.c_str(), c->issuer.c_str(),
        c->key_spec.c_str(), format_utc(c->not_before).c_str(), format_utc(c->not_after).c_str(),
        std::string(to_string(c->state)).c_str(), c->revocation_reason.empty() ? "" : ", ",
        c->revocation_reason.c_str(), format_utc(c->state_time).c_str(),
        format_utc(c->issued_at).c_str(), c->session.c_str(), c->pem.c_str());
  });

  struct RevokeOpts {
    std::string data, serial, reason = "unspecified";
  };
  auto* revoke = cert->add_subcommand(
      "revoke",
      "revoke a certificate: it fails authentication as Invalid LSC and goes into the CRL");
  auto ro = std::make_shared<RevokeOpts>();
  add_data_option(*revoke, ro->data);
  revoke->add_option("SERIAL", ro->serial, "serial number (hex)")->required();
  revoke->add_option("--reason", ro->reason,
                     "keyCompromise|cACompromise|affiliationChanged|superseded|"
                     "cessationOfOperation|certificateHold|privilegeWithdrawn|unspecified");
  revoke->callback([ro, &ctx] {
    auto env = open_environment(ctx, ro->data);
    if (!env)
      return;
    auto c = env->certificate_admin().revoke(ro->serial, ro->reason, cli_actor());
    if (!c)
      return fail(ctx, c.error());
    std::printf("revoked %s of %s (%s); publish it with `opencapf crl`\n", c->serial_hex.c_str(),
                c->device_name.c_str(), c->revocation_reason.c_str());
  });

  struct RenewOpts {
    std::string data;
    std::optional<int> within;
  };
  auto* renew = cert->add_subcommand(
      "renew",
      "schedule install/upgrade by existing LSC now for every device with no operation whose LSC "
      "expires soon (the server also does this every [renewal] check_minutes)");
  auto rn = std::make_shared<RenewOpts>();
  add_data_option(*renew, rn->data);
  renew->add_option("--within", rn->within,
                    "days before expiry (default [renewal] renew_before_days)");
  renew->callback([rn, &ctx] {
    auto env = open_environment(ctx, rn->data);
    if (!env)
      return;
    int days = rn->within.value_or(env->config().renewal.renew_before_days);
    if (days < 1 || days > 3650) {
      return fail_usage(ctx, "give --within DAYS (1 to 3650), or set [renewal] renew_before_days");
    }
    auto scheduled = env->certificate_admin().schedule_renewals(days);
    if (!scheduled)
      return fail(ctx, scheduled.error());
    for (const auto& name : *scheduled)
      std::printf("%s\n", name.c_str());
    std::fprintf(stderr,
                 "%zu device(s) scheduled to renew their LSC by existing LSC at their next "
                 "contact\n",
                 scheduled->size());
  });
}

void add_crl_command(CLI::App& app, CommandContext& ctx) {
  auto* crl = app.add_subcommand(
      "crl", "write a CRL of every revoked LSC, signed by the CAPF key (PEM on stdout or --out)");
  struct Opts {
    std::string data, out;
    std::optional<int> days;
  };
  auto o = std::make_shared<Opts>();
  add_data_option(*crl, o->data);
  crl->add_option("--out", o->out, "file to write (default: standard output)");
  crl->add_option("--days", o->days, "nextUpdate in days (default [crl] next_update_days)");
  crl->callback([o, &ctx] {
    auto env = open_environment(ctx, o->data);
    if (!env)
      return;
    auto identity = env->load_identity();
    if (!identity)
      return fail(ctx, identity.error());
    int days = o->days.value_or(env->config().crl.next_update_days);
    if (days < 1 || days > 365)
      return fail_usage(ctx, "--days must be 1 to 365");
    auto result = env->certificate_admin().make_crl(*identity, days);
    if (!result)
      return fail(ctx, result.error());
    if (o->out.empty()) {
      std::fputs(result->pem.c_str(), stdout);
      return;
    }
    std::string tmp = o->out + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << result->pem;
      if (!out)
        return fail_usage(ctx, "cannot write " + tmp);
    }
    std::error_code ec;
    std::filesystem::rename(tmp, o->out, ec);
    if (ec)
      return fail_usage(ctx, "cannot write " + o->out + ": " + ec.message());
    std::fprintf(stderr, "wrote CRL number %lld with %zu revoked certificate(s), next update %s\n",
                 static_cast<long long>(result->number), result->revoked,
                 format_utc(result->next_update).c_str());
    if (result->other_issuers > 0) {
      std::fprintf(stderr,
                   "left out %zu revoked certificate(s) that a previous CAPF key or an external "
                   "CA signed: they belong in their issuer's CRL\n",
                   result->other_issuers);
    }
  });
}

}  // namespace capf::cli
