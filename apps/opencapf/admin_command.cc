// `opencapf admin token create|list|revoke` and `opencapf audit`: the admin API's tokens and the
// audit log of every change.
#include <cstdio>

#include "apps/opencapf/cli_util.h"
#include "capf/service/access_service.h"
#include "capf/service/token_expiry.h"

namespace capf::cli {

namespace {

void add_token_create(CLI::App& token, CommandContext& ctx) {
  auto* cmd = token.add_subcommand(
      "create", "create an API token and print it once (only its hash is stored)");
  struct Opts {
    std::string data, role, name, expires;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  add_data_option(*cmd, o->data);
  cmd->add_option("--role", o->role, "admin|operator|viewer")->required();
  cmd->add_option("--name", o->name, "what the token is for (default: the role)");
  cmd->add_option(
      "--expires", o->expires,
      fmt::format("when the token stops working (default: never): {}", kTokenExpiryForms));
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o, &ctx] {
    auto role = parse_admin_role(o->role);
    if (!role)
      return fail_usage(ctx, role.error().message);
    std::optional<TimePoint> expires;
    if (!o->expires.empty()) {
      auto parsed = parse_token_expiry(o->expires, SystemClock().now());
      if (!parsed)
        return fail_usage(ctx, "--expires: " + parsed.error().message);
      expires = *parsed;
    }
    auto env = open_environment(ctx, o->data);
    if (!env)
      return;
    auto created = env->access().create_token(o->name.empty() ? o->role : o->name, *role,
                                              cli_actor(), expires);
    if (!created)
      return fail(ctx, created.error());
    if (o->json) {
      auto j = to_json(created->token);
      j["token"] = created->secret;
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    std::printf("%s\n", created->secret.c_str());
    const std::string until = created->token.expires
                                  ? ", expires " + format_utc(*created->token.expires)
                                  : std::string(", never expires");
    std::fprintf(stderr,
                 "opencapf: token %lld (%s, role %s%s) created; it is shown only this once: send "
                 "it as `Authorization: Bearer <token>`\n",
                 static_cast<long long>(created->token.id), created->token.name.c_str(),
                 std::string(to_string(created->token.role)).c_str(), until.c_str());
  });
}

void add_token_list(CLI::App& token, CommandContext& ctx) {
  auto* cmd = token.add_subcommand("list", "list API tokens (never their secrets)");
  struct Opts {
    std::string data;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  add_data_option(*cmd, o->data);
  cmd->add_flag("--json", o->json, "print JSON");
  cmd->callback([o, &ctx] {
    auto env = open_environment(ctx, o->data);
    if (!env)
      return;
    auto tokens = env->access().list_tokens();
    if (!tokens)
      return fail(ctx, tokens.error());
    if (o->json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& t : *tokens)
        j.push_back(to_json(t));
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    std::printf("%-5s %-20s %-9s %-21s %-21s %-21s %s\n", "ID", "NAME", "ROLE", "CREATED",
                "LAST USED", "REVOKED", "EXPIRES");
    const TimePoint now = env->clock().now();
    for (const auto& t : *tokens) {
      std::string expires = "never";
      if (t.expires) {
        expires = format_utc(*t.expires) + (now >= *t.expires ? " (expired)" : "");
      }
      std::printf("%-5lld %-20s %-9s %-21s %-21s %-21s %s\n", static_cast<long long>(t.id),
                  t.name.c_str(), std::string(to_string(t.role)).c_str(),
                  format_utc(t.created).c_str(),
                  t.last_used ? format_utc(*t.last_used).c_str() : "-",
                  t.revoked ? format_utc(*t.revoked).c_str() : "-", expires.c_str());
    }
  });
}

void add_token_revoke(CLI::App& token, CommandContext& ctx) {
  auto* cmd = token.add_subcommand("revoke", "revoke an API token: it stops working at once");
  struct Opts {
    std::string data;
    std::int64_t id = 0;
  };
  auto o = std::make_shared<Opts>();
  add_data_option(*cmd, o->data);
  cmd->add_option("ID", o->id, "the token's id (see `opencapf admin token list`)")->required();
  cmd->callback([o, &ctx] {
    auto env = open_environment(ctx, o->data);
    if (!env)
      return;
    Status revoked = env->access().revoke_token(o->id, cli_actor());
    if (!revoked)
      return fail(ctx, revoked.error());
    std::printf("revoked token %lld\n", static_cast<long long>(o->id));
  });
}

}  // namespace

void add_admin_command(CLI::App& app, CommandContext& ctx) {
  auto* admin = app.add_subcommand("admin", "access to the admin API");
  admin->require_subcommand(1);
  auto* token = admin->add_subcommand("token", "API tokens: create, list, revoke");
  token->require_subcommand(1);
  add_token_create(*token, ctx);
  add_token_list(*token, ctx);
  add_token_revoke(*token, ctx);
}

void add_audit_command(CLI::App& app, CommandContext& ctx) {
  auto* cmd = app.add_subcommand(
      "audit", "the audit log: every change by the CLI and the API, newest first");
  struct Opts {
    std::string data, target;
    std::size_t limit = 50;
    bool json = false;
  };
  auto o = std::make_shared<Opts>();
  add_data_option(*cmd, o->data);
  cmd->add_option("--limit", o->limit, "how many entries (default 50)");
  cmd->add_option("--target", o->target, "only changes to this device, store or token:ID");
  cmd->add_flag("--json", o->json, "print JSON (with the objects before and after)");
  cmd->callback([o, &ctx] {
    auto env = open_environment(ctx, o->data);
    if (!env)
      return;
    AuditFilter filter;
    filter.limit = o->limit;
    if (!o->target.empty())
      filter.target = o->target;
    auto entries = env->access().audit_log(filter);
    if (!entries)
      return fail(ctx, entries.error());
    if (o->json) {
      nlohmann::json j = nlohmann::json::array();
      for (const auto& e : *entries)
        j.push_back(to_json(e));
      std::printf("%s\n", j.dump(2).c_str());
      return;
    }
    for (const auto& e : *entries) {
      std::printf("%-21s %-22s %-15s %s\n", format_utc(e.time).c_str(), e.actor.c_str(),
                  e.action.c_str(), e.target.c_str());
    }
  });
}

}  // namespace capf::cli
