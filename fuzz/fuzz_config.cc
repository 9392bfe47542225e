// libFuzzer driver for opencapf.toml (config/config.h): the whole file as Config::parse reads it,
// the [issuer] sections as `opencapf issuer set` reads and rewrites them, and HOST:PORT values.
// The issuer sections must survive a rewrite: what issuer_config_text and replace_issuer_sections
// write, if it parses, is the configuration they were given.

#include "capf/config/config.h"
#include "fuzz/fuzz_util.h"

namespace capf {
namespace {

using capf::fuzz::require;

void check_issuer_rewrite(std::string_view text) {
  auto issuer = parse_issuer_config(text);
  if (!issuer)
    return;
  const std::string written = issuer_config_text(*issuer);
  // A value with a control character is written so that it no longer parses (seed
  // crash-issuer_text_carriage_return); write_issuer_config refuses such a text.
  if (auto reread = parse_issuer_config(written))
    require(issuer_config_text(*reread) == written, "the [issuer] text round trips");
  auto replaced = parse_issuer_config(replace_issuer_sections(text, *issuer));
  if (replaced)
    require(issuer_config_text(*replaced) == written, "a rewrite keeps the issuer settings");
}

void check_whole_file(std::string_view text) {
  auto config = Config::parse(text, "/nonexistent/opencapf-fuzz");
  if (!config) {
    require(!config.error().message.empty(), "a refused file says why");
    return;
  }
  require(config->validate().has_value(), "a parsed configuration is valid");
  for (const auto& listen : config->server.listen)
    require(parse_host_port(listen).has_value(), "a parsed listen address splits");
}

}  // namespace
}  // namespace capf

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  capf::check_whole_file(text);
  capf::check_issuer_rewrite(text);
  (void)capf::parse_host_port(text);
  return 0;
}
