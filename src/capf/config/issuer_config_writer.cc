// The [issuer] sections as opencapf writes them: the text, its place in opencapf.toml, and the
// checked, atomic rewrite of the file (`opencapf issuer set`).
#include <filesystem>
#include <string>
#include <string_view>

#include "capf/common/file.h"
#include "capf/config/config.h"
#include "capf/config/config_internal.h"
#include "capf/config/settings_table.h"

namespace capf {

using config_detail::validate_issuer;

std::string issuer_config_text(const IssuerConfig& c) {
  // [issuer] mode always; the settings of the sub-sections only where they differ from the
  // default, each sub-section only when it has one.
  Config values;
  values.issuer = c;
  const Config defaults;
  std::string out;
  std::string_view section;
  for (const Setting& s : settings()) {
    if (!s.section.starts_with("issuer"))
      continue;
    const std::string value = setting_toml(s, values);
    if (s.section != "issuer" && value == setting_toml(s, defaults))
      continue;
    if (s.section != section) {
      out += fmt::format("{}[{}]\n", out.empty() ? "" : "\n", s.section);
      section = s.section;
    }
    out += fmt::format("{} = {}\n", s.key, value);
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
  const std::filesystem::path file = config_file(data_dir);
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
  return write_file_atomically(file, updated, FileMode::kUmask);
}

}  // namespace capf
