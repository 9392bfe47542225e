#include <cstdint>
#include <cstdio>
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
  auto* cmd = device.add_subcommand("set", "create or change a device and schedule its operation");
  struct Opts {
    std::string data, name, op, auth, auth_string, auth_string_file, key_order, deadline,
        description;
    bool generate = false, json = false;
    std::optional<int> rsa_bits, ec_bits;
  };
  auto o = std::make_shared<Opts>();
  add_data_option(*cmd, o->data);
  cmd->add_option("NAME", o->name, "device name, e.g. SEP001122334455 or CSFJSMITH")->required();
  cmd->add_option("--op", o->op, "install|delete|troubleshoot|none");
  cmd->add_option("--auth", o->auth, "string|null|lsc|mic");
  auto* digits = cmd->add_option(
      "--auth-string", o->auth_string,
      "4 to 10 digits the user types on the phone; '-' reads them from standard input. Digits "
      "given here are visible to other local users in ps: prefer '-' or --auth-string-file");
  cmd->add_option("--auth-string-file", o->auth_string_file,
                  "read the authentication string from the first line of this file (keeps it "
                  "out of ps and the shell history)")
      ->excludes(digits);
  cmd->add_flag("--generate-auth-string", o->generate, "generate a random string (shown once)");
  cmd->add_option("--key-order", o->key_order, "rsa|ec|ec-rsa");
  cmd->add_option("--rsa-bits", o->rsa_bits, "1024|2048|3072|4096");
  cmd->add_option("--ec-bits", o->ec_bits, "256|384|521");
  cmd->add_option("--deadline", o->deadline,
                  "operation completes by: 2026-12-31[T18:00Z], 2026:12:31:18, +10d, +12h, none");
  cmd->add_option("--description", o->description, "free text");
  cmd->add_flag("--json", o->json, "print the device as JSON");
  cmd->callback([o, &ctx] {
    auto env = open_environment(ctx, o->data);
    if (!env)
      return;
    DeviceChange change;
    change.name = o->name;
    if (!o->op.empty()) {
      auto op = parse_operation(o->op);
      if (!op)
        return fail(ctx, op.error());
      change.operation = *op;
    }
    if (!o->auth.empty()) {
      auto mode = parse_auth_mode(o->auth);
      if (!mode)
        return fail(ctx, mode.error());
      change.auth_mode = *mode;
    }
    if (o->auth_string == "-" || !o->auth_string_file.empty()) {
      auto digits = read_auth_string(o->auth_string_file.empty() ? "-" : o->auth_string_file);
      if (!digits)
        return fail(ctx, digits.error());
      change.auth_string = *digits;
    } else if (!o->auth_string.empty()) {
      change.auth_string = o->auth_string;
    }
    change.generate_auth_string = o->generate;
    if (!o->key_order.empty()) {
      auto order = parse_key_order(o->key_order);
      if (!order)
        return fail(ctx, order.error());
      change.key_order = *order;
    }
    change.rsa_bits = o->rsa_bits;
    change.ec_bits = o->ec_bits;
    if (!o->deadline.empty()) {
      auto when = parse_when(o->deadline, env->clock());
      if (!when)
        return fail(ctx, when.error());
      change.deadline = *when;
    }
    if (!o->description.empty())
      change.description = o->description;
    auto result = env->admin().set_device(change, cli_actor());
    if (!result)
      return fail(ctx, result.error());
    for (const auto& w : result->warnings)
      std::fprintf(stderr, "opencapf: warning: %s\n", w.c_str());
    if (o->json) {
      auto j = to_json(result->device);
      j["created"] = result->created;
      if (result->generated_auth_string)
        j["generated_auth_string"] = *result->generated_auth_string;
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    std::printf("%s %s\n", result->created ? "created" : "updated",
                result->device.name.str().c_str());
    if (result->generated_auth_string) {
      std::printf("authentication string: %s (shown once; give it to the phone's user)\n",
                  result->generated_auth_string->c_str());
    }
    print_device(result->device);
  });
}

void add_show(CLI::App& device, CommandContext& ctx) {
  auto* cmd = device.add_subcommand("show", "show one device, its certificates and history");
  struct Opts {
    std::string data, name;
    bool json = false, history = false;
  };
  auto o = std::make_shared<Opts>();
  add_data_option(*cmd, o->data);
  cmd->add_option("NAME", o->name, "device name")->required();
  cmd->add_flag("--history", o->history, "also print the device's history (newest first)");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o, &ctx] {
    auto env = open_environment(ctx, o->data);
    if (!env)
      return;
    auto d = env->admin().get_device(o->name);
    if (!d)
      return fail(ctx, d.error());
    auto certs = env->admin().device_certificates(o->name);
    if (!certs)
      return fail(ctx, certs.error());
    auto events = env->admin().device_history(o->name, o->history ? 200 : 10);
    if (!events)
      return fail(ctx, events.error());
    auto requests = env->admin().device_requests(o->name);
    if (!requests)
      return fail(ctx, requests.error());
    if (o->json) {
      auto j = to_json(*d);
      j["certificates"] = nlohmann::json::array();
      for (const auto& c : *certs) {
        auto cj = to_json(c);
        cj.erase("pem");
        j["certificates"].push_back(cj);
      }
      j["requests"] = nlohmann::json::array();
      for (const auto& r : *requests)
        j["requests"].push_back(to_json(r));
      j["history"] = nlohmann::json::array();
      for (const auto& e : *events)
        j["history"].push_back(to_json(e));
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    print_device(*d);
    if (!certs->empty()) {
      std::printf("\ncertificates issued to %s (newest first):\n", d->name.str().c_str());
      for (const auto& c : *certs) {
        std::printf("  %s  %-9s %-8s until %s\n", c.serial_hex.c_str(),
                    std::string(to_string(c.state)).c_str(), c.key_spec.c_str(),
                    format_utc(c.not_after).c_str());
      }
    }
    if (!requests->empty()) {
      // Where the newest request to an external CA stands (online or offline mode).
      const CertificateRequestRecord& r = requests->back();
      std::printf("\ncertificate request %s (%s mode, %s):\n", r.id.c_str(), r.mode.c_str(),
                  r.ca.c_str());
      std::printf("  %-14s %s\n", "state:", std::string(to_string(r.state)).c_str());
      std::printf("  %-14s %s (%s)\n", "requested:", format_utc(r.created).c_str(),
                  r.key_spec.c_str());
      if (!r.ticket.empty())
        std::printf("  %-14s %s\n", "CA request id:", r.ticket.c_str());
      std::printf("  %-14s %d\n", "CA exchanges:", r.attempts);
      if (!r.last_error.empty())
        std::printf("  %-14s %s\n", "last CA error:", r.last_error.c_str());
      if (!r.certificate_serial.empty()) {
        std::printf("  %-14s serial %s\n", "certificate:", r.certificate_serial.c_str());
      }
    }
    if (!events->empty()) {
      std::printf("\nhistory (newest first):\n");
      for (const auto& e : *events) {
        std::string detail = e.detail;
        if (!o->history && detail.size() > 160)
          detail = detail.substr(0, 157) + "...";
        std::printf("  %s %-8s %s%s%s\n", format_utc(e.time).c_str(), e.kind.c_str(),
                    e.session.empty() ? "" : ("[" + e.session + "] ").c_str(), "", detail.c_str());
      }
    }
  });
}

void add_list(CLI::App& device, CommandContext& ctx) {
  auto* cmd = device.add_subcommand("list", "list devices, with filters");
  struct Opts {
    std::string data, op, status, auth, prefix, lsc, expiring, after;
    std::size_t limit = 1000;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  add_data_option(*cmd, o->data);
  cmd->add_option("--op", o->op, "install|delete|troubleshoot|none");
  cmd->add_option("--status", o->status, "none|pending|success|failed");
  cmd->add_option("--auth", o->auth, "string|null|lsc|mic");
  cmd->add_option("--prefix", o->prefix, "names starting with this");
  cmd->add_option("--lsc", o->lsc, "with|without: devices with an LSC known, or without");
  cmd->add_option("--lsc-expires-before", o->expiring, "LSC expiring before WHEN (e.g. +30d)");
  cmd->add_option("--after", o->after, "start after this name (paging)");
  cmd->add_option("--limit", o->limit, "at most this many (default 1000)");
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o, &ctx] {
    auto env = open_environment(ctx, o->data);
    if (!env)
      return;
    // The terms GET /api/v1/devices takes (device_filter.h), under their option names.
    struct Term {
      const char* term;
      const char* option;
      const std::string& value;
    };
    const Term terms[] = {{"name", "--prefix", o->prefix},
                          {"operation", "--op", o->op},
                          {"status", "--status", o->status},
                          {"auth", "--auth", o->auth},
                          {"lsc", "--lsc", o->lsc},
                          {"lsc_expires_before", "--lsc-expires-before", o->expiring},
                          {"after", "--after", o->after}};
    DeviceFilter f;
    for (const Term& t : terms) {
      if (t.value.empty())
        continue;
      if (Status added = add_device_filter_term(f, t.term, t.value, env->clock().now()); !added)
        return fail_usage(ctx, fmt::format("{}: {}", t.option, added.error().message));
    }
    if (Status checked = check_device_filter(f); !checked)
      return fail_usage(ctx, "--lsc: " + checked.error().message);
    f.limit = o->limit;
    auto devices = env->admin().list_devices(f);
    if (!devices)
      return fail(ctx, devices.error());
    if (o->json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& d : *devices)
        j.push_back(to_json(d));
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    std::printf("%-17s %-16s %-7s %-45s %-21s %s\n", "NAME", "OPERATION", "AUTH", "STATUS",
                "COMPLETES BY", "LSC EXPIRES");
    const TimePoint now = env->clock().now();
    for (const auto& d : *devices) {
      std::string lsc = "-";
      if (d.lsc) {
        lsc = format_utc(d.lsc->not_after);
        if (d.lsc->not_after < now)
          lsc += " (EXPIRED)";
      }
      std::printf("%-17s %-16s %-7s %-45s %-21s %s\n", d.name.str().c_str(),
                  std::string(to_string(d.operation)).c_str(),
                  std::string(short_name(d.auth_mode)).c_str(), to_string(d.status).c_str(),
                  d.deadline ? format_utc(*d.deadline).c_str() : "-", lsc.c_str());
    }
    std::printf("%zu device(s)\n", devices->size());
  });
}

void add_rm(CLI::App& device, CommandContext& ctx) {
  auto* cmd =
      device.add_subcommand("rm", "remove a device (its issued certificates stay in the ledger)");
  struct Opts {
    std::string data, name;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  add_data_option(*cmd, o->data);
  cmd->add_option("NAME", o->name, "device name")->required();
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o, &ctx] {
    auto env = open_environment(ctx, o->data);
    if (!env)
      return;
    Status s = env->admin().remove_device(o->name, cli_actor());
    if (!s)
      return fail(ctx, s.error());
    if (o->json) {
      std::printf("%s\n", nlohmann::json{{"removed", o->name}}.dump().c_str());
    } else {
      std::printf("removed %s\n", o->name.c_str());
    }
  });
}

void add_import(CLI::App& device, CommandContext& ctx) {
  auto* cmd = device.add_subcommand(
      "import", "create or change devices from a CSV file (see docs/bulk-and-reports.md)");
  struct Opts {
    std::string data, file;
    bool valid_only = false, json = false;
  };
  auto o = std::make_shared<Opts>();
  add_data_option(*cmd, o->data);
  cmd->add_option("FILE", o->file, "CSV file, - for standard input")->required();
  cmd->add_flag("--valid-only", o->valid_only,
                "import the valid lines even when others have errors (default: all or nothing)");
  cmd->add_flag("--json", o->json, "print the report as JSON");
  cmd->callback([o, &ctx] {
    Result<std::string> text = std::string();
    if (o->file == "-") {
      std::string in;
      char buf[65536];
      std::size_t n = 0;
      // Stop once past the bound: the parser then names it.
      while (in.size() <= CsvLimits{}.max_bytes && (n = std::fread(buf, 1, sizeof buf, stdin)) > 0)
        in.append(buf, n);
      text = std::move(in);
    } else {
      std::error_code ec;
      const auto size = std::filesystem::file_size(o->file, ec);
      if (!ec && size > CsvLimits{}.max_bytes) {
        std::fprintf(stderr, "opencapf: %s is %ju bytes, more than %zu: split it\n",
                     o->file.c_str(), static_cast<std::uintmax_t>(size), CsvLimits{}.max_bytes);
        ctx.exit_code = 1;
        return;
      }
      text = read_file_bytes(o->file);
    }
    if (!text)
      return fail(ctx, text.error());
    auto env = open_environment(ctx, o->data);
    if (!env)
      return;
    DeviceCsv csv(env->registry(), env->admin());
    DeviceImportOptions options;
    options.valid_only = o->valid_only;
    options.actor = cli_actor() + " (import)";
    auto report = csv.import_csv(*text, options);
    if (!report) {
      // The file itself is wrong (not CSV, an unknown column): nothing was imported.
      std::fprintf(stderr, "opencapf: %s: %s\nopencapf: nothing imported\n", o->file.c_str(),
                   report.error().message.c_str());
      ctx.exit_code = 1;
      return;
    }
    ctx.exit_code = report->errors > 0 ? 1 : 0;
    if (o->json) {
      std::printf("%s\n", to_json(*report).dump(2).c_str());
      return;
    }
    for (const auto& line : report->lines) {
      for (const auto& e : line.errors)
        std::fprintf(stderr, "%s: %s\n", o->file.c_str(), e.c_str());
      for (const auto& w : line.warnings)
        std::fprintf(stderr, "opencapf: warning: line %zu: %s\n", line.line, w.c_str());
    }
    if (!report->applied) {
      std::printf(
          "nothing imported: %zu line(s) with errors; fix them, or import the valid "
          "lines only with --valid-only\n",
          report->errors);
      return;
    }
    for (const auto& line : report->lines) {
      if (line.generated_auth_string) {
        std::printf("%s: authentication string %s (shown once; give it to the phone's user)\n",
                    line.device.c_str(), line.generated_auth_string->c_str());
      }
    }
    std::printf("imported: %zu created, %zu updated, %zu unchanged, %zu line(s) with errors\n",
                report->created, report->updated, report->unchanged, report->errors);
  });
}

void add_export(CLI::App& device, CommandContext& ctx) {
  auto* cmd = device.add_subcommand(
      "export", "write every device as CSV (authentication strings are never written)");
  struct Opts {
    std::string data, file = "-";
  };
  auto o = std::make_shared<Opts>();
  add_data_option(*cmd, o->data);
  cmd->add_option("FILE", o->file, "file to write, - for standard output (the default)");
  cmd->callback([o, &ctx] {
    auto env = open_environment(ctx, o->data);
    if (!env)
      return;
    DeviceCsv csv(env->registry(), env->admin());
    Status written =
        write_output(o->file, [&](const OutputSink& sink) { return csv.export_csv(sink); });
    if (!written)
      return fail(ctx, written.error());
  });
}

}  // namespace

void add_device_command(CLI::App& app, CommandContext& ctx) {
  auto* device = app.add_subcommand("device", "manage devices and their certificate operations");
  device->require_subcommand(1);
  add_set(*device, ctx);
  add_show(*device, ctx);
  add_list(*device, ctx);
  add_rm(*device, ctx);
  add_import(*device, ctx);
  add_export(*device, ctx);
}

}  // namespace capf::cli
