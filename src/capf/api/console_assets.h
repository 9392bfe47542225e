// The web console's files (src/capf/api/web/), compiled into the binary at build time by
// embed_console.cmake, so the console works offline and needs nothing on disk.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace capf::api {

struct ConsoleAsset {
  std::string_view name;          // "app.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  const unsigned char* data;
  std::size_t size;

  std::string_view bytes() const { return {reinterpret_cast<const char*>(data), size}; }
};

// Every embedded file (generated source).
std::span<const ConsoleAsset> console_assets();

}  // namespace capf::api
