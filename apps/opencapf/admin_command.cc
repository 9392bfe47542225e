// `opencapf admin token create|list|revoke` and `opencapf audit`: the admin API's tokens and the
// audit log of every change.
#include <cstdio>

#include "apps/opencapf/cli_util.h"
#include "capf/service/access_service.h"
#include "capf/service/token_expiry.h"

namespace capf::cli {

namespace {

void add_token_create(CLI::App& token, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::string role, name, expires;
  };
  auto c = add_command<Opts>(token, "create",
                             "create an API token and print it once (only its hash is stored)");
  c->add_option("--role", c.opts->role, "admin|operator|viewer")->required();
  c->add_option("--name", c.opts->name, "what the token is for (default: the role)");
  c->add_option(
      "--expires", c.opts->expires,
      fmt::format("when the token stops working (default: never): {}", kTokenExpiryForms));
  c.add_json();
  c.callback(ctx, [](const Opts& o) -> Status {
    auto role = parse_admin_role(o.role);
    if (!role)
      return usage_error(role.error().message);
    std::optional<TimePoint> expires;
    if (!o.expires.empty()) {
      auto parsed = parse_token_expiry(o.expires, SystemClock().now());
      if (!parsed)
        return usage_error("--expires: " + parsed.error().message);
      expires = *parsed;
    }
    CAPF_ASSIGN_OR_RETURN(auto env, Environment::open(o.data));
    CAPF_ASSIGN_OR_RETURN(auto created, env->access().create_token(o.name.empty() ? o.role : o.name,
                                                                   *role, cli_actor(), expires));
    if (o.json) {
      auto j = to_json(created.token);
      j["token"] = created.secret;
      return print_json(j);
    }
    std::printf("%s\n", created.secret.c_str());
    const std::string until = created.token.expires
                                  ? ", expires " + format_utc(*created.token.expires)
                                  : std::string(", never expires");
    std::fprintf(stderr,
                 "opencapf: token %lld (%s, role %s%s) created; it is shown only this once: send "
                 "it as `Authorization: Bearer <token>`\n",
                 static_cast<long long>(created.token.id), created.token.name.c_str(),
                 std::string(to_string(created.token.role)).c_str(), until.c_str());
    return ok();
  });
}

void add_token_list(CLI::App& token, CommandContext& ctx) {
  auto c = add_command(token, "list", "list API tokens (never their secrets)");
  c.add_json();
  c.with_environment(ctx, [](Environment& env, const DataOptions& o) -> Status {
    CAPF_ASSIGN_OR_RETURN(auto tokens, env.access().list_tokens());
    if (o.json)
      return print_json(json_array(tokens));
    const Table table({5, 20, 9, 21, 21, 21});
    table.print({"ID", "NAME", "ROLE", "CREATED", "LAST USED", "REVOKED", "EXPIRES"});
    const TimePoint now = env.clock().now();
    for (const auto& t : tokens) {
      std::string expires = "never";
      if (t.expires)
        expires = format_utc(*t.expires) + (now >= *t.expires ? " (expired)" : "");
      table.print({std::to_string(t.id), t.name, std::string(to_string(t.role)),
                   format_utc(t.created), t.last_used ? format_utc(*t.last_used) : "-",
                   t.revoked ? format_utc(*t.revoked) : "-", expires});
    }
    return ok();
  });
}

void add_token_revoke(CLI::App& token, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::int64_t id = 0;
  };
  auto c = add_command<Opts>(token, "revoke", "revoke an API token: it stops working at once");
  c->add_option("ID", c.opts->id, "the token's id (see `opencapf admin token list`)")->required();
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    CAPF_TRY(env.access().revoke_token(o.id, cli_actor()));
    std::printf("revoked token %lld\n", static_cast<long long>(o.id));
    return ok();
  });
}

}  // namespace

void add_admin_command(CLI::App& app, CommandContext& ctx) {
  CLI::App* admin = add_group(app, ctx, "admin", "access to the admin API", {});
  add_group(*admin, ctx, "token", "API tokens: create, list, revoke",
            {add_token_create, add_token_list, add_token_revoke});
}

void add_audit_command(CLI::App& app, CommandContext& ctx) {
  struct Opts : DataOptions {
    std::string target;
    std::size_t limit = 50;
  };
  auto c = add_command<Opts>(app, "audit",
                             "the audit log: every change by the CLI and the API, newest first");
  c->add_option("--limit", c.opts->limit, "how many entries (default 50)");
  c->add_option("--target", c.opts->target, "only changes to this device, store or token:ID");
  c.add_json("print JSON (with the objects before and after)");
  c.with_environment(ctx, [](Environment& env, const Opts& o) -> Status {
    AuditFilter filter;
    filter.limit = o.limit;
    if (!o.target.empty())
      filter.target = o.target;
    CAPF_ASSIGN_OR_RETURN(auto entries, env.access().audit_log(filter));
    if (o.json)
      return print_json(json_array(entries));
    const Table table({21, 22, 15});
    for (const auto& e : entries)
      table.print({format_utc(e.time), e.actor, e.action, e.target});
    return ok();
  });
}

}  // namespace capf::cli
