// The opencapf.toml that `opencapf init` writes: every setting of the table (settings_table.h)
// with its value and its note.
#include <string>

#include <fmt/format.h>

#include "capf/config/config.h"
#include "capf/config/settings_table.h"

namespace capf {

std::string Config::file_text() const {
  std::string out =
      "# opencapf configuration. Every setting is shown with its default.\n"
      "# Paths are relative to the data directory. Secrets are referenced, never written here.\n";
  std::string_view section;
  for (const Setting& s : settings()) {
    if (s.section != section) {
      section = s.section;
      out += fmt::format("\n[{}]\n", section);
    }
    std::string line = fmt::format("{} = {}", s.key, setting_toml(s, *this));
    if (!s.note.empty()) {
      line.resize(std::max<std::size_t>(line.size() + 1, 30), ' ');
      line += fmt::format("# {}", s.note);
    }
    out += line + "\n";
  }
  return out;
}

std::string Config::default_file_text() {
  return Config().file_text();
}

}  // namespace capf
