// The daemon's log lines (spdlog on stderr): text or JSON lines, one event per line whatever the
// event quotes. Device names, URL paths and CA answers come from outside; a newline or an escape
// sequence among them must not forge a line or repaint an admin's terminal.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/logger.h>

#include "capf/config/config.h"

namespace capf {

// `text` with every control character written out: \n \r \t as such, the other C0 characters,
// DEL and the C1 characters (U+0080..U+009F) as \xHH; the rest, UTF-8 included, as it is.
std::string escape_control_characters(std::string_view text);

// The logger init_logging installs, writing to `out`. Text lines escape the message with
// escape_control_characters; JSON lines keep it exact (JSON escapes control characters itself).
std::shared_ptr<spdlog::logger> make_logger(const LogConfig& config, std::FILE* out);

}  // namespace capf
