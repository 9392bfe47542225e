// `opencapf itl|ctl build|show` and `opencapf itl signer create|rotate|retire|show`: the trust
// lists phones download and the signer that signs them (docs/trust-lists.md).
#include <cstdio>
#include <filesystem>

#include "apps/opencapf/cli_util.h"
#include "apps/opencapf/trust_list_output.h"
#include "capf/common/file.h"
#include "capf/service/audit_trail.h"

namespace capf::cli {

namespace {

struct BuildOpts : DataOptions {
  std::string out, digest = "sha512", signer_version = "1.1";
  std::vector<std::string> records;
};

struct ShowOpts : DataOptions {
  std::string file;
};

struct SignerOpts : DataOptions {
  int bits = 2048;
  std::string subject;
  int days = 10 * 365;
};

// --record FUNCTION=CERT_FILE: every certificate of the file, in that function.
Result<std::vector<trustlist::Listed>> read_records(const std::vector<std::string>& specs) {
  std::vector<trustlist::Listed> listed;
  for (const auto& spec : specs) {
    const auto eq = spec.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size())
      return usage_error(fmt::format("--record {}: write FUNCTION=CERT_FILE", spec));
    auto role = trustlist::parse_role(spec.substr(0, eq));
    if (!role)
      return usage_error(fmt::format("--record {}: {}", spec, role.error().message));
    auto certs = pki::read_certificates(spec.substr(eq + 1));
    if (!certs)
      return usage_error(fmt::format("--record {}: {}", spec, certs.error().message));
    for (auto& cert : *certs)
      listed.push_back({*role, std::move(cert)});
  }
  return listed;
}

template <TrustListKind kKind>
void add_build(CLI::App& group, CommandContext& ctx) {
  const std::string name(file_name_of(kKind));
  auto c = add_command<BuildOpts>(
      group, "build",
      fmt::format("write a signed {}: the signer(s) as SAST, the CAPF certificate(s) as CAPF, "
                  "and the --record certificates",
                  name));
  c.opts->out = name;
  c->add_option("--out", c.opts->out, "where to write it (atomically)")->capture_default_str();
  c->add_option("--digest", c.opts->digest, "sha512, or sha1 for phones that know only SHA-1")
      ->capture_default_str();
  c->add_option("--signer-version", c.opts->signer_version,
                "1.1, or 1.0 for the oldest phones (with --digest sha1)")
      ->capture_default_str();
  c->add_option("--record", c.opts->records,
                "FUNCTION=CERT_FILE (ccm, ccm+tftp, tftp, capf, https, tvs, sast); repeatable");
  c.add_json("print what was written as JSON");
  c.with_environment(ctx, [](Environment& env, const BuildOpts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto choice, signing_choice(o.digest, o.signer_version));
    TrustListOptions options{kKind, choice.first, choice.second, {}};
    CAPF_ASSIGN_OR_RETURN(options.extra, read_records(o.records));
    TrustListAdmin& admin = env.trust_list_admin();
    CAPF_ASSIGN_OR_RETURN(BuiltTrustList built, admin.build(options));
    CAPF_ASSIGN_OR_RETURN(std::optional<std::string> old, read_file_if_exists(o.out));
    if (old) {
      CAPF_ASSIGN_OR_RETURN(auto warning, admin.missing_capf_warning(as_bytes(*old)));
      if (warning)
        std::fprintf(stderr, "opencapf: warning: %s\n", warning->c_str());
    }
    CAPF_TRY(write_file_atomically(o.out, to_string(built.bytes), FileMode::kPublic));
    if (o.json) {
      return print_json({{"file", o.out},
                         {"bytes", built.bytes.size()},
                         {"signer", certificate_summary(built.signer)},
                         {"records", json_array(built.listed, [](const trustlist::Listed& l) {
                            nlohmann::json j = certificate_summary(l.certificate);
                            j["function"] =
                                trustlist::role_name(static_cast<std::uint16_t>(l.role));
                            return j;
                          })}});
    }
    std::printf("wrote %s (%zu bytes), signed by %s\n", o.out.c_str(), built.bytes.size(),
                built.signer.subject().c_str());
    for (const auto& l : built.listed) {
      std::printf("  %-8s %s (serial %s)\n",
                  trustlist::role_name(static_cast<std::uint16_t>(l.role)).c_str(),
                  l.certificate.subject().c_str(), l.certificate.serial_hex().c_str());
    }
    return ok();
  });
}

void add_show(CLI::App& group, CommandContext& ctx) {
  auto c = add_command<ShowOpts>(group, "show",
                                 "print every record of an ITL or CTL (ours or CUCM's) and check "
                                 "its signature; exit code 1 when it does not verify");
  c->add_option("FILE", c.opts->file, "ITLFile.tlv or CTLFile.tlv")->required();
  c.add_json();
  c.callback(ctx, [](const ShowOpts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(std::string bytes, read_file_bytes(o.file));
    auto parsed = trustlist::parse_trust_list(as_bytes(bytes));
    if (!parsed)
      return parsed.error().with_context(o.file);
    if (o.json) {
      CAPF_TRY(print_json({{"header", header_json(parsed->header)},
                           {"records", json_array(parsed->records, record_json)},
                           {"signature", verification_json(parsed->verification)}}));
    } else {
      print_header(parsed->header);
      for (std::size_t i = 0; i < parsed->records.size(); ++i)
        print_record(i + 1, parsed->records[i]);
      print_verification(parsed->verification);
    }
    return verification_status(parsed->verification);
  });
}

void add_signer_options(const Command<SignerOpts>& c) {
  c->add_option("--bits", c.opts->bits, "RSA key size: 2048, 3072 or 4096")->capture_default_str();
  c->add_option("--subject", c.opts->subject, "default CN=ITLRecovery-<8 hex>,OU=opencapf");
  c->add_option("--days", c.opts->days, "validity, 1..7300")->capture_default_str();
}

SignerOptions signer_options(const SignerOpts& o) {
  return SignerOptions{o.bits, o.subject, o.days};
}

void print_signer(const char* what, const pki::Certificate& cert) {
  std::printf("%s %s\n  serial %s, expires %s, sha256 %s\n", what, cert.subject().c_str(),
              cert.serial_hex().c_str(), format_utc(cert.not_after()).c_str(),
              cert.fingerprint_sha256().c_str());
}

void add_signer_create(CLI::App& signer, CommandContext& ctx) {
  auto c = add_command<SignerOpts>(signer, "create", "make the trust-list signer (function SAST)");
  add_signer_options(c);
  c.with_environment(ctx, [](Environment& env, const SignerOpts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto cert,
                          env.trust_list_admin().create_signer(signer_options(o), cli_actor()));
    print_signer("created signer", cert);
    return ok();
  });
}

void add_signer_rotate(CLI::App& signer, CommandContext& ctx) {
  auto c = add_command<SignerOpts>(
      signer, "rotate",
      "make the next signer: files stay signed by the current one and list both until retire");
  add_signer_options(c);
  c.with_environment(ctx, [](Environment& env, const SignerOpts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto cert,
                          env.trust_list_admin().rotate_signer(signer_options(o), cli_actor()));
    print_signer("next signer", cert);
    std::printf(
        "rebuild and publish the ITL now; run `opencapf itl signer retire` once every "
        "phone has loaded it\n");
    return ok();
  });
}

void add_signer_retire(CLI::App& signer, CommandContext& ctx) {
  auto c = add_command(signer, "retire",
                       "the next signer signs from now on; the old one is no longer listed");
  c.with_environment(ctx, [](Environment& env, const DataOptions&) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto cert, env.trust_list_admin().retire_signer(cli_actor()));
    print_signer("signing with", cert);
    std::printf("rebuild and publish the ITL now\n");
    return ok();
  });
}

void add_signer_show(CLI::App& signer, CommandContext& ctx) {
  auto c = add_command(signer, "show", "the signer that signs, and the next one during a rotation");
  c.add_json();
  c.with_environment(ctx, [](Environment& env, const DataOptions& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto signers, env.trust_list_admin().signers());
    if (o.json) {
      return print_json(json_array(signers, [](const SignerEntry& s) {
        nlohmann::json j = certificate_summary(s.certificate);
        j["state"] = s.signing ? "signing" : "next";
        return j;
      }));
    }
    for (const auto& s : signers)
      print_signer(s.signing ? "signing" : "next   ", s.certificate);
    return ok();
  });
}

void add_signer(CLI::App& itl, CommandContext& ctx) {
  add_group(itl, ctx, "signer", "the trust-list signer (function SAST): create, rotate, retire",
            {add_signer_create, add_signer_rotate, add_signer_retire, add_signer_show});
}

}  // namespace

void add_itl_command(CLI::App& app, CommandContext& ctx) {
  add_group(app, ctx, "itl", "the Initial Trust List phones download (ITLFile.tlv)",
            {add_build<TrustListKind::kItl>, add_show, add_signer});
}

void add_ctl_command(CLI::App& app, CommandContext& ctx) {
  add_group(app, ctx, "ctl", "the Certificate Trust List of a mixed-mode cluster (CTLFile.tlv)",
            {add_build<TrustListKind::kCtl>, add_show});
}

}  // namespace capf::cli
