// `opencapf device set|show|list|rm|import|export`: devices and their certificate operations.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "apps/opencapf/cli_util.h"
#include "capf/service/device_csv.h"
#include "capf/service/device_filter.h"
#include "capf/service/device_json.h"

namespace capf::cli {

namespace {

// WHEN: "none", or a time as parse_time_from reads it ("+3d" / "+12h" / "+30m" from now, or a UTC
// date/time).
Result<std::optional<TimePoint>> parse_when(const std::string& text, const Clock& clock) {
  if (text == "none")
    return std::optional<TimePoint>();
  if (auto t = parse_time_from(text, clock.now()))
    return std::optional<TimePoint>(*t);
  return make_error(ErrorCode::kInvalidArgument,
                    "--deadline '{}' is not a time: use 2026-12-31, 2026-12-31T18:00Z, "
                    "2026:12:31:18, +10d, +12h or none",
                    text);
}

// The authentication string from --auth-string-file PATH or `--auth-string -` (standard input):
// the first line, without its line end. Digits given on the command line are visible to every
// local user in `ps` and in the shell's history.
Result<std::string> read_auth_string(const std::string& path) {
  std::string text;
  if (path == "-") {
    std::getline(std::cin, text);
  } else {
    CAPF_ASSIGN_OR_RETURN(text, read_file_bytes(path));
    text = text.substr(0, text.find('\n'));
  }
  while (!text.empty() && (text.back() == '\r' || text.back() == ' '))
    text.pop_back();
  if (text.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "{} holds no authentication string: put the 4 to 10 digits on its first line",
                      path == "-" ? "standard input" : path);
  }
  return text;
}

void print_device(const Device& d) {
  std::printf("%-22s %s\n", "name:", d.name.str().c_str());
  std::printf("%-22s %s\n", "operation:", std::string(to_string(d.operation)).c_str());
  std::printf("%-22s %s\n", "authentication:", std::string(to_string(d.auth_mode)).c_str());
  if (d.auth_mode == AuthMode::kAuthString) {
    std::printf("%-22s %s (%d wrong attempt(s))\n",
                "authentication string:", d.auth_string ? "set" : "NOT SET", d.auth_failures);
  }
  std::printf("%-22s %s (RSA %d, EC %d)\n",
              "key order:", std::string(to_string(d.key_order)).c_str(), d.rsa_bits, d.ec_bits);
  std::printf("%-22s %s\n",
              "operation completes by:", d.deadline ? format_utc(*d.deadline).c_str() : "-");
  std::printf("%-22s %s (%s)\n", "status:", to_string(d.status).c_str(),
              format_utc(d.status_time).c_str());
  if (!d.status_detail.empty())
    std::printf("%-22s %s\n", "status detail:", d.status_detail.c_str());
  if (d.lsc) {
    std::printf("%-22s serial %s, issued by %s, expires %s\n", "LSC:", d.lsc->serial_hex.c_str(),
                d.lsc->issuer.c_str(), format_utc(d.lsc->not_after).c_str());
  } else {
    std::printf("%-22s %s\n", "LSC:", "none known");
  }
  if (!d.description.empty())
    std::printf("%-22s %s\n", "description:", d.description.c_str());
}

void add_set(CLI::App& device, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::string name, op, auth, auth_string, auth_string_file, key_order, deadline, description;
    bool generate = false;
    std::optional<int> rsa_bits, ec_bits;
  };
  auto c = add_command<Opts>(device, "set", "create or change a device and schedule its operation");
  Opts& o = *c.opts;
  c->add_option("NAME", o.name, "device name, e.g. SEP001122334455 or CSFJSMITH")->required();
  c->add_option("--op", o.op, "install|delete|troubleshoot|none");
  c->add_option("--auth", o.auth, "string|null|lsc|mic");
  auto* digits = c->add_option(
      "--auth-string", o.auth_string,
      "4 to 10 digits the user types on the phone; '-' reads them from standard input. Digits "
      "given here are visible to other local users in ps: prefer '-' or --auth-string-file");
  c->add_option("--auth-string-file", o.auth_string_file,
                "read the authentication string from the first line of this file (keeps it "
                "out of ps and the shell history)")
      ->excludes(digits);
  c->add_flag("--generate-auth-string", o.generate, "generate a random string (shown once)");
  c->add_option("--key-order", o.key_order, "rsa|ec|ec-rsa");
  c->add_option("--rsa-bits", o.rsa_bits, "1024|2048|3072|4096");
  c->add_option("--ec-bits", o.ec_bits, "256|384|521");
  c->add_option("--deadline", o.deadline,
                "operation completes by: 2026-12-31[T18:00Z], 2026:12:31:18, +10d, +12h, none");
  c->add_option("--description", o.description, "free text");
  c.add_json("print the device as JSON");
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    DeviceChange change;
    change.name = o.name;
    if (!o.op.empty()) {
      CAPF_ASSIGN_OR_RETURN(change.operation, parse_operation(o.op));
    }
    if (!o.auth.empty()) {
      CAPF_ASSIGN_OR_RETURN(change.auth_mode, parse_auth_mode(o.auth));
    }
    if (o.auth_string == "-" || !o.auth_string_file.empty()) {
      CAPF_ASSIGN_OR_RETURN(
          change.auth_string,
          read_auth_string(o.auth_string_file.empty() ? "-" : o.auth_string_file));
    } else if (!o.auth_string.empty()) {
      change.auth_string = o.auth_string;
    }
    change.generate_auth_string = o.generate;
    if (!o.key_order.empty()) {
      CAPF_ASSIGN_OR_RETURN(change.key_order, parse_key_order(o.key_order));
    }
    change.rsa_bits = o.rsa_bits;
    change.ec_bits = o.ec_bits;
    if (!o.deadline.empty()) {
      CAPF_ASSIGN_OR_RETURN(change.deadline, parse_when(o.deadline, env.clock()));
    }
    if (!o.description.empty())
      change.description = o.description;
    CAPF_ASSIGN_OR_RETURN(auto result, env.admin().set_device(change, cli_actor()));
    for (const auto& w : result.warnings)
      std::fprintf(stderr, "opencapf: warning: %s\n", w.c_str());
    if (o.json) {
      auto j = to_json(result.device);
      j["created"] = result.created;
      if (result.generated_auth_string)
        j["generated_auth_string"] = *result.generated_auth_string;
      return print_json(j);
    }
    std::printf("%s %s\n", result.created ? "created" : "updated",
                result.device.name.str().c_str());
    if (result.generated_auth_string) {
      std::printf("authentication string: %s (shown once; give it to the phone's user)\n",
                  result.generated_auth_string->c_str());
    }
    print_device(result.device);
    return ok();
  });
}

// What `device show` prints: the device, its certificates, requests and history.
struct DeviceRecord {
  Device device;
  std::vector<IssuedCertificate> certificates;
  std::vector<DeviceEvent> history;
  std::vector<CertificateRequestRecord> requests;
};

Result<DeviceRecord> load_device(AdminService& admin, const std::string& name, bool history) {
  DeviceRecord r;
  CAPF_ASSIGN_OR_RETURN(r.device, admin.get_device(name));
  CAPF_ASSIGN_OR_RETURN(r.certificates, admin.device_certificates(name));
  CAPF_ASSIGN_OR_RETURN(r.history, admin.device_history(name, history ? 200 : 10));
  CAPF_ASSIGN_OR_RETURN(r.requests, admin.device_requests(name));
  return r;
}

nlohmann::json device_json(const DeviceRecord& r) {
  auto j = to_json(r.device);
  j["certificates"] = json_array(r.certificates, [](const IssuedCertificate& c) {
    auto cj = to_json(c);
    cj.erase("pem");
    return cj;
  });
  j["requests"] = json_array(r.requests);
  j["history"] = json_array(r.history);
  return j;
}

// Where the newest request to an external CA stands (online or offline mode).
void print_request(const CertificateRequestRecord& r) {
  std::printf("\ncertificate request %s (%s mode, %s):\n", r.id.c_str(), r.mode.c_str(),
              r.ca.c_str());
  std::printf("  %-14s %s\n", "state:", std::string(to_string(r.state)).c_str());
  std::printf("  %-14s %s (%s)\n", "requested:", format_utc(r.created).c_str(), r.key_spec.c_str());
  if (!r.ticket.empty())
    std::printf("  %-14s %s\n", "CA request id:", r.ticket.c_str());
  std::printf("  %-14s %d\n", "CA exchanges:", r.attempts);
  if (!r.last_error.empty())
    std::printf("  %-14s %s\n", "last CA error:", r.last_error.c_str());
  if (!r.certificate_serial.empty())
    std::printf("  %-14s serial %s\n", "certificate:", r.certificate_serial.c_str());
}

void print_record(const DeviceRecord& r, bool full_history) {
  print_device(r.device);
  if (!r.certificates.empty()) {
    std::printf("\ncertificates issued to %s (newest first):\n", r.device.name.str().c_str());
    for (const auto& c : r.certificates) {
      std::printf("  %s  %-9s %-8s until %s\n", c.serial_hex.c_str(),
                  std::string(to_string(c.state)).c_str(), c.key_spec.c_str(),
                  format_utc(c.not_after).c_str());
    }
  }
  if (!r.requests.empty())
    print_request(r.requests.back());
  if (!r.history.empty()) {
    std::printf("\nhistory (newest first):\n");
    for (const auto& e : r.history) {
      std::string detail = e.detail;
      if (!full_history && detail.size() > 160)
        detail = detail.substr(0, 157) + "...";
      std::printf("  %s %-8s %s%s%s\n", format_utc(e.time).c_str(), e.kind.c_str(),
                  e.session.empty() ? "" : ("[" + e.session + "] ").c_str(), "", detail.c_str());
    }
  }
}

void add_show(CLI::App& device, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::string name;
    bool history = false;
  };
  auto c = add_command<Opts>(device, "show", "show one device, its certificates and history");
  c->add_option("NAME", c.opts->name, "device name")->required();
  c->add_flag("--history", c.opts->history, "also print the device's history (newest first)");
  c.add_json();
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto record, load_device(env.admin(), o.name, o.history));
    if (o.json)
      return print_json(device_json(record));
    print_record(record, o.history);
    return ok();
  });
}

void add_list(CLI::App& device, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::string op, status, auth, prefix, lsc, expiring, after;
    std::size_t limit = 1000;
  };
  auto c = add_command<Opts>(device, "list", "list devices, with filters");
  Opts& o = *c.opts;
  c->add_option("--op", o.op, "install|delete|troubleshoot|none");
  c->add_option("--status", o.status, "none|pending|success|failed");
  c->add_option("--auth", o.auth, "string|null|lsc|mic");
  c->add_option("--prefix", o.prefix, "names starting with this");
  c->add_option("--lsc", o.lsc, "with|without: devices with an LSC known, or without");
  c->add_option("--lsc-expires-before", o.expiring, "LSC expiring before WHEN (e.g. +30d)");
  c->add_option("--after", o.after, "start after this name (paging)");
  c->add_option("--limit", o.limit, "at most this many (default 1000)");
  c.add_json();
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    // The terms GET /api/v1/devices takes (device_filter.h), under their option names.
    struct Term {
      const char* term;
      const char* option;
      const std::string& value;
    };
    const Term terms[] = {{"name", "--prefix", o.prefix},
                          {"operation", "--op", o.op},
                          {"status", "--status", o.status},
                          {"auth", "--auth", o.auth},
                          {"lsc", "--lsc", o.lsc},
                          {"lsc_expires_before", "--lsc-expires-before", o.expiring},
                          {"after", "--after", o.after}};
    const TimePoint now = env.clock().now();
    DeviceFilter f;
    for (const Term& t : terms) {
      if (t.value.empty())
        continue;
      if (Status added = add_device_filter_term(f, t.term, t.value, now); !added)
        return usage_error(fmt::format("{}: {}", t.option, added.error().message));
    }
    if (Status checked = check_device_filter(f); !checked)
      return usage_error("--lsc: " + checked.error().message);
    f.limit = o.limit;
    CAPF_ASSIGN_OR_RETURN(auto devices, env.admin().list_devices(f));
    if (o.json)
      return print_json(json_array(devices));
    const Table table({17, 16, 7, 45, 21});
    table.print({"NAME", "OPERATION", "AUTH", "STATUS", "COMPLETES BY", "LSC EXPIRES"});
    for (const auto& d : devices) {
      std::string lsc = "-";
      if (d.lsc)
        lsc = format_utc(d.lsc->not_after) + (d.lsc->not_after < now ? " (EXPIRED)" : "");
      table.print({d.name.str(), std::string(to_string(d.operation)),
                   std::string(short_name(d.auth_mode)), to_string(d.status),
                   d.deadline ? format_utc(*d.deadline) : "-", lsc});
    }
    std::printf("%zu device(s)\n", devices.size());
    return ok();
  });
}

void add_rm(CLI::App& device, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::string name;
  };
  auto c = add_command<Opts>(device, "rm",
                             "remove a device (its issued certificates stay in the ledger)");
  c->add_option("NAME", c.opts->name, "device name")->required();
  c.add_json();
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    CAPF_TRY(env.admin().remove_device(o.name, cli_actor()));
    if (o.json)
      std::printf("%s\n", nlohmann::json{{"removed", o.name}}.dump().c_str());
    else
      std::printf("removed %s\n", o.name.c_str());
    return ok();
  });
}

// The CSV text `device import` reads: FILE, or standard input for "-".
Result<std::string> read_import_file(const std::string& file) {
  if (file == "-") {
    std::string in;
    char buf[65536];
    std::size_t n = 0;
    // Stop once past the bound: the parser then names it.
    while (in.size() <= CsvLimits{}.max_bytes && (n = std::fread(buf, 1, sizeof buf, stdin)) > 0)
      in.append(buf, n);
    return in;
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(file, ec);
  if (!ec && size > CsvLimits{}.max_bytes) {
    // Not read at all; exit code 1, like a file the parser refuses.
    return make_error(ErrorCode::kIo, "{} is {} bytes, more than {}: split it", file, size,
                      CsvLimits{}.max_bytes);
  }
  return read_file_bytes(file);
}

void print_import(const DeviceImportReport& report, const std::string& file) {
  for (const auto& line : report.lines) {
    for (const auto& e : line.errors)
      std::fprintf(stderr, "%s: %s\n", file.c_str(), e.c_str());
    for (const auto& w : line.warnings)
      std::fprintf(stderr, "opencapf: warning: line %zu: %s\n", line.line, w.c_str());
  }
  if (!report.applied) {
    std::printf(
        "nothing imported: %zu line(s) with errors; fix them, or import the valid "
        "lines only with --valid-only\n",
        report.errors);
    return;
  }
  for (const auto& line : report.lines) {
    if (line.generated_auth_string) {
      std::printf("%s: authentication string %s (shown once; give it to the phone's user)\n",
                  line.device.c_str(), line.generated_auth_string->c_str());
    }
  }
  std::printf("imported: %zu created, %zu updated, %zu unchanged, %zu line(s) with errors\n",
              report.created, report.updated, report.unchanged, report.errors);
}

void add_import(CLI::App& device, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::string file;
    bool valid_only = false;
  };
  auto c = add_command<Opts>(
      device, "import", "create or change devices from a CSV file (see docs/bulk-and-reports.md)");
  c->add_option("FILE", c.opts->file, "CSV file, - for standard input")->required();
  c->add_flag("--valid-only", c.opts->valid_only,
              "import the valid lines even when others have errors (default: all or nothing)");
  c.add_json("print the report as JSON");
  c.callback(ctx, [&ctx](const Opts& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto text, read_import_file(o.file));
    CAPF_ASSIGN_OR_RETURN(auto env, Environment::open(o.data));
    DeviceCsv csv(env->registry(), env->admin());
    DeviceImportOptions options;
    options.valid_only = o.valid_only;
    options.actor = cli_actor() + " (import)";
    auto report = csv.import_csv(text, options);
    if (!report) {
      // The file itself is wrong (not CSV, an unknown column): nothing was imported.
      std::fprintf(stderr, "opencapf: %s: %s\nopencapf: nothing imported\n", o.file.c_str(),
                   report.error().message.c_str());
      ctx.exit_code = 1;
      return ok();
    }
    ctx.exit_code = report->errors > 0 ? 1 : 0;
    if (o.json)
      return print_json(to_json(*report));
    print_import(*report, o.file);
    return ok();
  });
}

void add_export(CLI::App& device, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::string file = "-";
  };
  auto c = add_command<Opts>(
      device, "export", "write every device as CSV (authentication strings are never written)");
  c->add_option("FILE", c.opts->file, "file to write, - for standard output (the default)");
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    DeviceCsv csv(env.registry(), env.admin());
    return write_output(o.file, [&](const OutputSink& sink) { return csv.export_csv(sink); });
  });
}

}  // namespace

void add_device_command(CLI::App& app, CommandContext& ctx) {
  add_group(app, ctx, "device", "manage devices and their certificate operations",
            {add_set, add_show, add_list, add_rm, add_import, add_export});
}

}  // namespace capf::cli
