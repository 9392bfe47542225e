#include <cstdio>

#include <nlohmann/json.hpp>

#include "apps/opencapf/cli_util.h"

namespace capf::cli {

namespace {

Status print_requests(const std::vector<CertificateRequestRecord>& requests, bool json) {
  if (json) {
    return print_json(json_array(requests, [](const CertificateRequestRecord& r) {
      return nlohmann::json{{"id", r.id},
                            {"device", r.device_name},
                            {"key", r.key_spec},
                            {"state", to_string(r.state)},
                            {"created", format_utc(r.created)},
                            {"spki_sha256", r.spki_fingerprint},
                            {"certificate_serial", r.certificate_serial}};
    }));
  }
  const Table table({24, 17, 9, 11});
  table.print({"REQUEST", "DEVICE", "KEY", "STATE", "CREATED"});
  for (const auto& r : requests) {
    table.print(
        {r.id, r.device_name, r.key_spec, std::string(to_string(r.state)),
         format_utc(r.created) +
             (r.certificate_serial.empty() ? "" : "  signed: serial " + r.certificate_serial)});
  }
  std::printf("%zu request(s)\n", requests.size());
  return ok();
}

struct Opts : DataOptions {
  std::string dir, id, device;
  std::vector<std::string> paths;
  bool stale = false, partial = false, all = false;
};

void add_list(CLI::App& offline, CommandContext& ctx) {
  auto c = add_command<Opts>(offline, "list", "requests waiting for the offline CA");
  c->add_flag("--stale", c.opts->stale,
              "instead: certificates the CA signed for requests a newer one replaced");
  c.add_json();
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto requests, env.offline_admin().list(o.stale));
    return print_requests(requests, o.json);
  });
}

void add_count(CLI::App& offline, CommandContext& ctx) {
  auto c = add_command<Opts>(offline, "count", "how many requests wait for the offline CA");
  c.with_environment(ctx, [](Environment& env, const Opts&) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto n, env.offline_admin().count());
    std::printf("%lld\n", static_cast<long long>(n));
    return ok();
  });
}

void add_export(CLI::App& offline, CommandContext& ctx) {
  auto c = add_command<Opts>(
      offline, "export",
      "write every waiting request to DIR: DEVICE.csr (PEM; REQUEST-ID.csr for a device name "
      "that is not a safe file name), manifest.csv, and capf-requests.tgz with the same files");
  c->add_option("DIR", c.opts->dir, "folder to write into (created if missing)")->required();
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto report, env.offline_admin().export_requests(o.dir));
    for (std::size_t i = 0; i < report.requests.size(); ++i) {
      const auto& r = report.requests[i];
      std::printf("%s  (request %s, %s, %s)\n", (report.dir / report.files[i]).c_str(),
                  r.id.c_str(), r.device_name.c_str(), r.key_spec.c_str());
    }
    std::printf("%zu request(s) exported; also %s and %s/manifest.csv\n", report.requests.size(),
                report.archive.c_str(), report.dir.c_str());
    return ok();
  });
}

void add_import(CLI::App& offline, CommandContext& ctx) {
  auto c = add_command<Opts>(
      offline, "import",
      "import certificates the offline CA signed: PEM or DER files, folders, or a .tgz "
      "(CUCM's .tgz of .der files); nothing is imported unless all of it is valid");
  c->add_option("PATH", c.opts->paths, "files, folders or .tgz archives")->required();
  c->add_flag("--partial", c.opts->partial, "import the valid certificates even if others fail");
  c.add_json();
  c.with_environment(ctx, [&ctx](Environment& env, const Opts& o) -> Status {
    std::vector<std::filesystem::path> paths(o.paths.begin(), o.paths.end());
    CAPF_ASSIGN_OR_RETURN(auto report, env.offline_admin().import(paths, o.partial, cli_actor()));
    if (report.errors > 0)
      ctx.exit_code = 1;
    if (o.json) {
      nlohmann::json j;
      j["imported"] = report.imported;
      j["stale"] = report.stale;
      j["errors"] = report.errors;
      j["applied"] = report.applied;
      j["files"] = json_array(report.lines, [](const auto& l) {
        return nlohmann::json{
            {"source", l.source}, {"device", l.device}, {"ok", l.ok}, {"outcome", l.outcome}};
      });
      return print_json(j);
    }
    for (const auto& l : report.lines)
      std::printf("%s %s: %s\n", l.ok ? "ok " : "ERR", l.source.c_str(), l.outcome.c_str());
    std::printf("%d imported, %d stale, %d error(s)%s\n", report.imported, report.stale,
                report.errors, report.applied ? "" : "; nothing was imported");
    return ok();
  });
}

void add_delete(CLI::App& offline, CommandContext& ctx) {
  auto c = add_command<Opts>(offline, "delete", "cancel waiting requests");
  c->add_option("ID", c.opts->id, "a request id (see `offline list`)");
  c->add_option("--device", c.opts->device, "every waiting request of this device");
  c->add_flag("--all", c.opts->all, "every waiting request");
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    std::optional<std::string> id, device;
    if (!o.id.empty())
      id = o.id;
    if (!o.device.empty()) {
      // Lenient: a device stored under a name older versions allowed can still be cleaned up.
      CAPF_ASSIGN_OR_RETURN(auto name, DeviceName::parse_stored(o.device));
      device = name.str();
    }
    CAPF_ASSIGN_OR_RETURN(auto n, env.offline_admin().remove(id, device, o.all, cli_actor()));
    std::printf("%d request(s) deleted\n", n);
    return ok();
  });
}

}  // namespace

void add_offline_command(CLI::App& app, CommandContext& ctx) {
  add_group(app, ctx, "offline", "the offline CA: export phone requests, import what the CA signed",
            {add_list, add_count, add_export, add_import, add_delete});
}

}  // namespace capf::cli
