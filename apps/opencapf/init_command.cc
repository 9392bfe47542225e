#include <cstdio>

#include "apps/opencapf/cli_util.h"
#include "capf/domain/device.h"
#include "capf/pki/key_source.h"

namespace capf::cli {

void add_init_command(CLI::App& app, CommandContext& ctx) {
  auto* cmd = app.add_subcommand(
      "init", "create a data directory: configuration, CAPF CA certificate and key, registry");
  struct Opts {
    std::string data;
    std::string key = "rsa:2048";
    std::string subject;
    int days = 5 * 365;
    std::string passphrase_file, passphrase_env;
  };
  auto opts = std::make_shared<Opts>();
  add_data_option(*cmd, opts->data);
  cmd->add_option(
      "--key", opts->key,
      "rsa:2048|rsa:3072|rsa:4096|ec:p256|ec:p384 (default rsa:2048), or a key in a PKCS#11 "
      "token: 'pkcs11:token=T;object=O' (PIN from --passphrase-file/-env)");
  cmd->add_option("--subject", opts->subject, "CAPF subject DN (default CN=CAPF-<8 hex>)");
  cmd->add_option("--days", opts->days, "validity of the CAPF certificate in days (default 1825)");
  cmd->add_option(
      "--passphrase-file", opts->passphrase_file,
      "encrypt the CAPF key with the passphrase in this file (the PIN for a token key)");
  cmd->add_option("--passphrase-env", opts->passphrase_env,
                  "or with the passphrase in this environment variable");
  cmd->callback([opts, &ctx] {
    InitOptions options;
    if (pki::is_pkcs11_uri(opts->key)) {
      options.key_uri = opts->key;
    } else {
      auto key = parse_key_spec(opts->key);
      if (!key)
        return fail(ctx, key.error());
      options.key = *key;
    }
    options.subject = opts->subject;
    options.days = opts->days;
    options.passphrase_file = opts->passphrase_file;
    options.passphrase_env = opts->passphrase_env;
    auto report = Environment::init(opts->data, options);
    if (!report)
      return fail(ctx, report.error());
    std::printf("initialised %s\n", report->data_dir.c_str());
    std::printf("CAPF certificate: %s\n", report->subject.c_str());
    std::printf("  SHA-256 fingerprint %s, valid until %s\n", report->fingerprint.c_str(),
                report->not_after.c_str());
    std::printf("admin API certificate: admin-cert.pem (its own key, not the CAPF one)\n");
    std::printf("  SHA-256 fingerprint %s\n", report->admin_fingerprint.c_str());
    std::printf(
        "next: `opencapf ca export --data %s > capf.pem` and put it in the phones' trust "
        "list; then `opencapf serve --data %s`\n",
        report->data_dir.c_str(), report->data_dir.c_str());
  });
}

}  // namespace capf::cli
