// `opencapf sgn sign|show`: signed files (FILE.sgn) for a PBX's TFTP configuration, signed by the
// trust-list signer the phones' ITL lists (docs/trust-lists.md §6).
#include <cstdio>
#include <filesystem>

#include "apps/opencapf/cli_util.h"
#include "apps/opencapf/trust_list_output.h"
#include "capf/common/file.h"

namespace capf::cli {

namespace {

struct SignOpts : DataOptions {
  std::string file, out, filename, digest = "sha512", signer_version = "1.1";
};

struct ShowOpts : DataOptions {
  std::string file, cert;
};

void add_sign(CLI::App& group, CommandContext& ctx) {
  auto c = add_command<SignOpts>(group, "sign",
                                 "write FILE.sgn: FILE's bytes under a header signed by the "
                                 "trust-list signer");
  c->add_option("FILE", c.opts->file, "the file to sign, e.g. SEP001122334455.cnf.xml")->required();
  c->add_option("--out", c.opts->out, "default FILE.sgn");
  c->add_option("--filename", c.opts->filename, "the name in the header (default: FILE's name)");
  c->add_option("--digest", c.opts->digest, "sha512, or sha1 for phones that know only SHA-1")
      ->capture_default_str();
  c->add_option("--signer-version", c.opts->signer_version,
                "1.1, or 1.0 for the oldest phones (with --digest sha1)")
      ->capture_default_str();
  c.with_environment(ctx, [](Environment& env, const SignOpts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto choice, signing_choice(o.digest, o.signer_version));
    CAPF_ASSIGN_OR_RETURN(std::string content, read_file_bytes(o.file));
    const std::string name =
        o.filename.empty() ? std::filesystem::path(o.file).filename().string() : o.filename;
    CAPF_ASSIGN_OR_RETURN(
        Bytes signed_file,
        env.trust_list_admin().sign_file(as_bytes(content), name, choice.first, choice.second));
    const std::string out = o.out.empty() ? o.file + ".sgn" : o.out;
    CAPF_TRY(write_file_atomically(out, to_string(signed_file), FileMode::kPublic));
    std::printf("wrote %s (%zu bytes)\n", out.c_str(), signed_file.size());
    return ok();
  });
}

void add_show(CLI::App& group, CommandContext& ctx) {
  auto c = add_command<ShowOpts>(group, "show",
                                 "print a .sgn file's header and check its signature with the "
                                 "data directory's signers (or --cert); exit code 1 when it does "
                                 "not verify");
  c->add_option("FILE", c.opts->file, "FILE.sgn")->required();
  c->add_option("--cert", c.opts->cert, "a signer certificate (PEM) to check with as well");
  c.add_json();
  c.with_environment(ctx, [](Environment& env, const ShowOpts& o) -> Status {
    std::vector<pki::Certificate> extra;
    if (!o.cert.empty()) {
      auto certs = pki::read_certificates(o.cert);
      if (!certs)
        return usage_error(fmt::format("--cert: {}", certs.error().message));
      extra = std::move(certs).value();
    }
    CAPF_ASSIGN_OR_RETURN(std::string bytes, read_file_bytes(o.file));
    auto parsed = env.trust_list_admin().check_signed_file(as_bytes(bytes), std::move(extra));
    if (!parsed)
      return parsed.error().with_context(o.file);
    if (o.json) {
      CAPF_TRY(print_json({{"header", header_json(parsed->header)},
                           {"content_bytes", parsed->content.size()},
                           {"signature", verification_json(parsed->verification)}}));
    } else {
      print_header(parsed->header);
      std::printf("content        %zu bytes\n", parsed->content.size());
      print_verification(parsed->verification);
    }
    return verification_status(parsed->verification);
  });
}

}  // namespace

void add_sgn_command(CLI::App& app, CommandContext& ctx) {
  add_group(app, ctx, "sgn", "signed files (FILE.sgn) for the phones' TFTP configuration",
            {add_sign, add_show});
}

}  // namespace capf::cli
