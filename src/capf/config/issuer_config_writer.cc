// The [issuer] sections as opencapf writes them: the text, its place in opencapf.toml, and the
// checked, atomic rewrite of the file (`opencapf issuer set`).
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "capf/config/config.h"
#include "capf/config/config_internal.h"

namespace capf {

using config_detail::read_file;
using config_detail::validate_issuer;

namespace {

std::string toml_quoted(std::string_view v) {
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"' || ch == '\\')
      out.push_back('\\');
    out.push_back(ch);
  }
  out.push_back('"');
  return out;
}

std::string toml_quoted_list(const std::vector<std::string>& v) {
  std::string out = "[";
  for (std::size_t i = 0; i < v.size(); ++i)
    out += (i ? ", " : "") + toml_quoted(v[i]);
  return out + "]";
}

}  // namespace

std::string issuer_config_text(const IssuerConfig& c) {
  const OnlineCaConfig& o = c.online;
  const OnlineCaConfig d;
  std::string out = fmt::format("[issuer]\nmode = {}\n", toml_quoted(c.mode));
  std::string online;
  auto str = [&](std::string_view key, const std::string& v, const std::string& def) {
    if (v != def)
      online += fmt::format("{} = {}\n", key, toml_quoted(v));
  };
  auto num = [&](std::string_view key, int v, int def) {
    if (v != def)
      online += fmt::format("{} = {}\n", key, v);
  };
  str("protocol", o.protocol, d.protocol);
  str("url", o.url, d.url);
  str("ca_chain_file", o.ca_chain_file, d.ca_chain_file);
  if (!o.key_types.empty())
    online += fmt::format("key_types = {}\n", toml_quoted_list(o.key_types));
  str("username", o.username, d.username);
  str("password_file", o.password_file, d.password_file);
  str("password_env", o.password_env, d.password_env);
  str("auth", o.auth, d.auth);
  str("template", o.template_name, d.template_name);
  str("profile", o.profile, d.profile);
  str("acme_account_key_file", o.acme_account_key_file, d.acme_account_key_file);
  str("acme_email", o.acme_email, d.acme_email);
  str("acme_identifier_suffix", o.acme_identifier_suffix, d.acme_identifier_suffix);
  num("timeout_seconds", o.timeout_seconds, d.timeout_seconds);
  num("retries", o.retries, d.retries);
  num("retry_backoff_ms", o.retry_backoff_ms, d.retry_backoff_ms);
  num("poll_seconds", o.poll_seconds, d.poll_seconds);
  if (!online.empty())
    out += "\n[issuer.online]\n" + online;
  if (!c.offline.ca_chain_file.empty() || !c.offline.key_types.empty()) {
    out += "\n[issuer.offline]\n";
    if (!c.offline.ca_chain_file.empty()) {
      out += fmt::format("ca_chain_file = {}\n", toml_quoted(c.offline.ca_chain_file));
    }
    if (!c.offline.key_types.empty()) {
      out += fmt::format("key_types = {}\n", toml_quoted_list(c.offline.key_types));
    }
  }
  return out;
}

std::string replace_issuer_sections(std::string_view toml_text, const IssuerConfig& config) {
  // Drop every line from an [issuer...] header to the next header that is not an issuer one.
  std::string kept;
  bool in_issuer = false;
  std::size_t pos = 0;
  while (pos < toml_text.size()) {
    std::size_t end = toml_text.find('\n', pos);
    std::string_view line =
        toml_text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
    pos = end == std::string_view::npos ? toml_text.size() : end + 1;
    std::string_view trimmed = line;
    while (!trimmed.empty() && (trimmed.front() == ' ' || trimmed.front() == '\t')) {
      trimmed.remove_prefix(1);
    }
    if (!trimmed.empty() && trimmed.front() == '[') {
      in_issuer = trimmed.rfind("[issuer]", 0) == 0 || trimmed.rfind("[issuer.", 0) == 0;
    }
    if (!in_issuer) {
      kept.append(line);
      kept.push_back('\n');
    }
  }
  while (kept.size() >= 2 && kept[kept.size() - 1] == '\n' && kept[kept.size() - 2] == '\n') {
    kept.pop_back();
  }
  if (!kept.empty() && kept.back() != '\n')
    kept.push_back('\n');
  return kept + (kept.empty() ? "" : "\n") + issuer_config_text(config);
}

Status write_issuer_config(const std::filesystem::path& data_dir, const IssuerConfig& config) {
  CAPF_TRY(validate_issuer(config));
  const std::filesystem::path file = data_dir / "opencapf.toml";
  std::string text;
  std::error_code ec;
  if (std::filesystem::exists(file, ec)) {
    CAPF_ASSIGN_OR_RETURN(text, read_file(file));
  }
  const std::string updated = replace_issuer_sections(text, config);
  // The new text must still be a valid configuration before it replaces the old one.
  auto parsed = Config::parse(updated, data_dir);
  if (!parsed)
    return parsed.error().with_context("the updated opencapf.toml");
  std::filesystem::path tmp = file;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << updated;
    out.flush();
    if (!out)
      return make_error(ErrorCode::kIo, "cannot write {}", tmp.string());
  }
  std::filesystem::rename(tmp, file, ec);
  if (ec) {
    return make_error(ErrorCode::kIo, "cannot replace {}: {}", file.string(), ec.message());
  }
  return ok();
}

}  // namespace capf
