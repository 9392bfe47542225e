#include <cstdio>

#include <nlohmann/json.hpp>

#include "apps/opencapf/cli_util.h"

namespace capf::cli {

namespace {

void print_requests(const std::vector<CertificateRequestRecord>& requests, bool json) {
  if (json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& r : requests) {
      j.push_back({{"id", r.id},
                   {"device", r.device_name},
                   {"key", r.key_spec},
                   {"state", to_string(r.state)},
                   {"created", format_utc(r.created)},
                   {"spki_sha256", r.spki_fingerprint},
                   {"certificate_serial", r.certificate_serial}});
    }
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("%-24s %-17s %-9s %-11s %s\n", "REQUEST", "DEVICE", "KEY", "STATE", "CREATED");
  for (const auto& r : requests) {
    std::printf(
        "%-24s %-17s %-9s %-11s %s%s\n", r.id.c_str(), r.device_name.c_str(), r.key_spec.c_str(),
        std::string(to_string(r.state)).c_str(), format_utc(r.created).c_str(),
        r.certificate_serial.empty() ? "" : ("  signed: serial " + r.certificate_serial).c_str());
  }
  std::printf("%zu request(s)\n", requests.size());
}

}  // namespace

void add_offline_command(CLI::App& app, CommandContext& ctx) {
  auto* offline = app.add_subcommand(
      "offline", "the offline CA: export phone requests, import what the CA signed");
  offline->require_subcommand(1);

  struct Opts {
    std::string data, dir, id, device;
    std::vector<std::string> paths;
    bool json = false, stale = false, partial = false, all = false;
  };

  auto* list = offline->add_subcommand("list", "requests waiting for the offline CA");
  auto lo = std::make_shared<Opts>();
  add_data_option(*list, lo->data);
  list->add_flag("--stale", lo->stale,
                 "instead: certificates the CA signed for requests a newer one replaced");
  list->add_flag("--json", lo->json, "print JSON");
  list->callback([lo, &ctx] {
    auto env = open_environment(ctx, lo->data);
    if (!env)
      return;
    OfflineAdmin& admin = env->offline_admin();
    auto requests = admin.list(lo->stale);
    if (!requests)
      return fail(ctx, requests.error());
    print_requests(*requests, lo->json);
  });

  auto* count = offline->add_subcommand("count", "how many requests wait for the offline CA");
  auto co = std::make_shared<Opts>();
  add_data_option(*count, co->data);
  count->callback([co, &ctx] {
    auto env = open_environment(ctx, co->data);
    if (!env)
      return;
    OfflineAdmin& admin = env->offline_admin();
    auto n = admin.count();
    if (!n)
      return fail(ctx, n.error());
    std::printf("%lld\n", static_cast<long long>(*n));
  });

  auto* exp = offline->add_subcommand(
      "export",
      "write every waiting request to DIR: DEVICE.csr (PEM; REQUEST-ID.csr for a device name "
      "that is not a safe file name), manifest.csv, and capf-requests.tgz with the same files");
  auto eo = std::make_shared<Opts>();
  add_data_option(*exp, eo->data);
  exp->add_option("DIR", eo->dir, "folder to write into (created if missing)")->required();
  exp->callback([eo, &ctx] {
    auto env = open_environment(ctx, eo->data);
    if (!env)
      return;
    OfflineAdmin& admin = env->offline_admin();
    auto report = admin.export_requests(eo->dir);
    if (!report)
      return fail(ctx, report.error());
    for (std::size_t i = 0; i < report->requests.size(); ++i) {
      const auto& r = report->requests[i];
      std::printf("%s  (request %s, %s, %s)\n", (report->dir / report->files[i]).c_str(),
                  r.id.c_str(), r.device_name.c_str(), r.key_spec.c_str());
    }
    std::printf("%zu request(s) exported; also %s and %s/manifest.csv\n", report->requests.size(),
                report->archive.c_str(), report->dir.c_str());
  });

  auto* imp = offline->add_subcommand(
      "import",
      "import certificates the offline CA signed: PEM or DER files, folders, or a .tgz "
      "(CUCM's .tgz of .der files); nothing is imported unless all of it is valid");
  auto io = std::make_shared<Opts>();
  add_data_option(*imp, io->data);
  imp->add_option("PATH", io->paths, "files, folders or .tgz archives")->required();
  imp->add_flag("--partial", io->partial, "import the valid certificates even if others fail");
  imp->add_flag("--json", io->json, "print JSON");
  imp->callback([io, &ctx] {
    auto env = open_environment(ctx, io->data);
    if (!env)
      return;
    OfflineAdmin& admin = env->offline_admin();
    std::vector<std::filesystem::path> paths(io->paths.begin(), io->paths.end());
    auto report = admin.import(paths, io->partial, cli_actor());
    if (!report)
      return fail(ctx, report.error());
    if (io->json) {
      nlohmann::json j;
      j["imported"] = report->imported;
      j["stale"] = report->stale;
      j["errors"] = report->errors;
      j["applied"] = report->applied;
      j["files"] = nlohmann::json::array();
      for (const auto& l : report->lines) {
        j["files"].push_back(
            {{"source", l.source}, {"device", l.device}, {"ok", l.ok}, {"outcome", l.outcome}});
      }
      std::printf("%s\n", j.dump(2).c_str());
    } else {
      for (const auto& l : report->lines) {
        std::printf("%s %s: %s\n", l.ok ? "ok " : "ERR", l.source.c_str(), l.outcome.c_str());
      }
      std::printf("%d imported, %d stale, %d error(s)%s\n", report->imported, report->stale,
                  report->errors, report->applied ? "" : "; nothing was imported");
    }
    if (report->errors > 0)
      ctx.exit_code = 1;
  });

  auto* del = offline->add_subcommand("delete", "cancel waiting requests");
  auto dopt = std::make_shared<Opts>();
  add_data_option(*del, dopt->data);
  del->add_option("ID", dopt->id, "a request id (see `offline list`)");
  del->add_option("--device", dopt->device, "every waiting request of this device");
  del->add_flag("--all", dopt->all, "every waiting request");
  del->callback([dopt, &ctx] {
    auto env = open_environment(ctx, dopt->data);
    if (!env)
      return;
    OfflineAdmin& admin = env->offline_admin();
    std::optional<std::string> id, device;
    if (!dopt->id.empty())
      id = dopt->id;
    if (!dopt->device.empty()) {
      // Lenient: a device stored under a name older versions allowed can still be cleaned up.
      auto name = DeviceName::parse_stored(dopt->device);
      if (!name)
        return fail(ctx, name.error());
      device = name->str();
    }
    auto n = admin.remove(id, device, dopt->all, cli_actor());
    if (!n)
      return fail(ctx, n.error());
    std::printf("%d request(s) deleted\n", *n);
  });
}

}  // namespace capf::cli
