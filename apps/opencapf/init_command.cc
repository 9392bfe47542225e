// `opencapf init`: a new data directory.
#include <cstdio>

#include "apps/opencapf/cli_util.h"
#include "capf/domain/device.h"
#include "capf/pki/key_source.h"

namespace capf::cli {

void add_init_command(CLI::App& app, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::string key = "rsa:2048";
    InitOptions init;  // all but the key, which --key names
  };
  auto c = add_command<Opts>(
      app, "init", "create a data directory: configuration, CAPF CA certificate and key, registry");
  c->add_option(
      "--key", c.opts->key,
      "rsa:2048|rsa:3072|rsa:4096|ec:p256|ec:p384 (default rsa:2048), or a key in a PKCS#11 "
      "token: 'pkcs11:token=T;object=O' (PIN from --passphrase-file/-env)");
  c->add_option("--subject", c.opts->init.subject, "CAPF subject DN (default CN=CAPF-<8 hex>)");
  c->add_option("--days", c.opts->init.days,
                "validity of the CAPF certificate in days (default 1825)");
  c->add_option("--passphrase-file", c.opts->init.passphrase_file,
                "encrypt the CAPF key with the passphrase in this file (the PIN for a token key)");
  c->add_option("--passphrase-env", c.opts->init.passphrase_env,
                "or with the passphrase in this environment variable");
  c.callback(ctx, [](const Opts& o) -> Status {
    InitOptions options = o.init;
    if (pki::is_pkcs11_uri(o.key)) {
      options.key_uri = o.key;
    } else {
      CAPF_ASSIGN_OR_RETURN(options.key, parse_key_spec(o.key));
    }
    CAPF_ASSIGN_OR_RETURN(auto report, Environment::init(o.data, options));
    std::printf("initialised %s\n", report.data_dir.c_str());
    std::printf("CAPF certificate: %s\n", report.subject.c_str());
    std::printf("  SHA-256 fingerprint %s, valid until %s\n", report.fingerprint.c_str(),
                report.not_after.c_str());
    std::printf("admin API certificate: admin-cert.pem (its own key, not the CAPF one)\n");
    std::printf("  SHA-256 fingerprint %s\n", report.admin_fingerprint.c_str());
    // The trust-list signer (docs/trust-lists.md §5), so that `itl build` works at once.
    CAPF_ASSIGN_OR_RETURN(auto env, Environment::open(o.data));
    CAPF_ASSIGN_OR_RETURN(auto signer,
                          env->trust_list_admin().create_signer(SignerOptions{}, cli_actor()));
    std::printf("trust-list signer (SAST): %s, serial %s\n", signer.subject().c_str(),
                signer.serial_hex().c_str());
    std::printf(
        "next: `opencapf itl build --data %s --out /srv/tftp/ITLFile.tlv` for the phones' TFTP "
        "server (docs/trust-lists.md); then `opencapf serve --data %s`\n",
        report.data_dir.c_str(), report.data_dir.c_str());
    return ok();
  });
}

}  // namespace capf::cli
