#include <cstdio>

#include <nlohmann/json.hpp>

#include "apps/opencapf/cli_util.h"
#include "capf/service/device_json.h"

namespace capf::cli {

namespace {

void add_list(CLI::App& cert, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::string device, state, expires;
    std::size_t limit = 1000;
  };
  auto c = add_command<Opts>(cert, "list", "certificates, newest first, with filters");
  c->add_option("--device", c.opts->device, "issued to this device");
  c->add_option("--state", c.opts->state, "issued|installed|rejected|revoked");
  c->add_option("--expires-before", c.opts->expires, "UTC date, e.g. 2027-01-01");
  c->add_option("--limit", c.opts->limit, "at most this many (default 1000)");
  c.add_json();
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    CertificateFilter f;
    f.limit = o.limit;
    if (!o.device.empty()) {
      CAPF_ASSIGN_OR_RETURN(auto name, DeviceName::parse(o.device));
      f.device_name = name.str();
    }
    if (!o.state.empty()) {
      CAPF_ASSIGN_OR_RETURN(f.state, parse_certificate_state(o.state));
    }
    if (!o.expires.empty()) {
      auto when = parse_utc(o.expires);
      if (!when)
        return usage_error("--expires-before needs a UTC date such as 2027-01-01");
      f.expires_before = *when;
    }
    CAPF_ASSIGN_OR_RETURN(auto certs, env.certificate_admin().list(f));
    if (o.json) {
      return print_json(json_array(certs, [](const IssuedCertificate& cert) {
        auto j = to_json(cert);
        j.erase("pem");
        return j;
      }));
    }
    const TimePoint now = env.clock().now();
    const Table table({34, 17, 9, 10});
    table.print({"SERIAL", "DEVICE", "KEY", "STATE", "EXPIRES"});
    for (const auto& cert : certs) {
      table.print({cert.serial_hex, cert.device_name, cert.key_spec,
                   std::string(to_string(cert.state)),
                   format_utc(cert.not_after) + (cert.not_after < now ? " (EXPIRED)" : "") +
                       (cert.revocation_reason.empty() ? "" : " " + cert.revocation_reason)});
    }
    std::printf("%zu certificate(s)\n", certs.size());
    return ok();
  });
}

void add_show(CLI::App& cert, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::string serial;
  };
  auto c = add_command<Opts>(cert, "show", "one certificate: details and PEM");
  c->add_option("SERIAL", c.opts->serial, "serial number (hex)")->required();
  c.add_json();
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto cert, env.certificate_admin().show(o.serial));
    if (o.json)
      return print_json(to_json(cert));
    std::printf(
        "serial:     %s\ndevice:     %s\nsubject:    %s\nissuer:     %s\nkey:        %s\n"
        "valid:      %s to %s\nstate:      %s%s%s (%s)\nissued:     %s in session %s\n%s",
        cert.serial_hex.c_str(), cert.device_name.c_str(), cert.subject.c_str(),
        cert.issuer.c_str(), cert.key_spec.c_str(), format_utc(cert.not_before).c_str(),
        format_utc(cert.not_after).c_str(), std::string(to_string(cert.state)).c_str(),
        cert.revocation_reason.empty() ? "" : ", ", cert.revocation_reason.c_str(),
        format_utc(cert.state_time).c_str(), format_utc(cert.issued_at).c_str(),
        cert.session.c_str(), cert.pem.c_str());
    return ok();
  });
}

void add_revoke(CLI::App& cert, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::string serial, reason = "unspecified";
  };
  auto c = add_command<Opts>(
      cert, "revoke",
      "revoke a certificate: it fails authentication as Invalid LSC and goes into the CRL");
  c->add_option("SERIAL", c.opts->serial, "serial number (hex)")->required();
  c->add_option("--reason", c.opts->reason,
                "keyCompromise|cACompromise|affiliationChanged|superseded|"
                "cessationOfOperation|certificateHold|privilegeWithdrawn|unspecified");
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto cert,
                          env.certificate_admin().revoke(o.serial, o.reason, cli_actor()));
    std::printf("revoked %s of %s (%s); publish it with `opencapf crl`\n", cert.serial_hex.c_str(),
                cert.device_name.c_str(), cert.revocation_reason.c_str());
    return ok();
  });
}

void add_renew(CLI::App& cert, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::optional<int> within;
  };
  auto c = add_command<Opts>(
      cert, "renew",
      "schedule install/upgrade by existing LSC now for every device with no operation whose LSC "
      "expires soon (the server also does this every [renewal] check_minutes)");
  c->add_option("--within", c.opts->within,
                "days before expiry (default [renewal] renew_before_days)");
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    const int days = o.within.value_or(env.config().renewal.renew_before_days);
    auto renewed = env.certificate_admin().renew_within(days);
    if (!renewed)
      return renewed.error().with_context("--within");
    const auto& scheduled = *renewed;
    for (const auto& name : scheduled)
      std::printf("%s\n", name.c_str());
    std::fprintf(stderr,
                 "%zu device(s) scheduled to renew their LSC by existing LSC at their next "
                 "contact\n",
                 scheduled.size());
    return ok();
  });
}

}  // namespace

void add_cert_command(CLI::App& app, CommandContext& ctx) {
  add_group(app, ctx, "cert", "the issuance ledger: every certificate CAPF issued",
            {add_list, add_show, add_revoke, add_renew});
}

void add_crl_command(CLI::App& app, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::string out;
    std::optional<int> days;
  };
  auto c = add_command<Opts>(
      app, "crl",
      "write a CRL of every revoked LSC, signed by the CAPF key (PEM on stdout or --out)");
  c->add_option("--out", c.opts->out, "file to write (default: standard output)");
  c->add_option("--days", c.opts->days, "nextUpdate in days (default [crl] next_update_days)");
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto identity, env.load_identity());
    int days = o.days.value_or(env.config().crl.next_update_days);
    if (days < 1 || days > 365)
      return usage_error("--days must be 1 to 365");
    CAPF_ASSIGN_OR_RETURN(auto crl, env.certificate_admin().make_crl(identity, days));
    CAPF_TRY(write_output(o.out, [&crl](const OutputSink& sink) { return sink(crl.pem); }));
    if (o.out.empty())
      return ok();
    std::fprintf(stderr, "wrote CRL number %lld with %zu revoked certificate(s), next update %s\n",
                 static_cast<long long>(crl.number), crl.revoked,
                 format_utc(crl.next_update).c_str());
    if (crl.other_issuers > 0) {
      std::fprintf(stderr,
                   "left out %zu revoked certificate(s) that a previous CAPF key or an external "
                   "CA signed: they belong in their issuer's CRL\n",
                   crl.other_issuers);
    }
    return ok();
  });
}

}  // namespace capf::cli
