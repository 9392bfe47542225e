// Helpers shared by the subcommands: the --data option, opening the environment, and printing
// errors as one line that says what to do.
#pragma once

#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include "apps/opencapf/commands.h"
#include "capf/daemon/environment.h"

namespace capf::cli {

// The data directory: --data, else $OPENCAPF_DATA, else /var/lib/opencapf.
std::string default_data_dir();
void add_data_option(CLI::App& cmd, std::string& data_dir);

// Prints "opencapf: <message>" on stderr and sets the exit code (2 for usage errors, 1 otherwise).
void fail(CommandContext& ctx, const Error& error);
void fail_usage(CommandContext& ctx, const std::string& message);

// Opens the data directory or reports why not.
std::unique_ptr<Environment> open_environment(CommandContext& ctx, const std::string& data_dir);

// The actor recorded in device history for CLI changes: "cli:<user>".
std::string cli_actor();

Result<std::string> read_file_bytes(const std::string& path);

// Hands `produce` a sink that writes to standard output ("" or "-") or to `path` (through a
// temporary file renamed into place, so a failed write leaves no half file). kIo on a write error.
using OutputSink = std::function<Status(std::string_view)>;
Status write_output(const std::string& path,
                    const std::function<Status(const OutputSink&)>& produce);

}  // namespace capf::cli
