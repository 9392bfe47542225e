// Helpers shared by the subcommands: the --data option, opening the environment, printing errors
// as one line that says what to do, and the command kit (a subcommand with --data and --json
// whose body opens the data directory and returns a Status; JSON and column printing).
#pragma once

#include <cstdio>
#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "apps/opencapf/commands.h"
#include "capf/daemon/environment.h"

namespace capf::cli {

// The data directory: --data, else $OPENCAPF_DATA, else /var/lib/opencapf. add_data_option adds
// --data and --store URL (the registry in PostgreSQL; it sets OPENCAPF_STORE for Config::load).
std::string default_data_dir();
void add_data_option(CLI::App& cmd, std::string& data_dir);

// Prints "opencapf: <message>" on stderr and sets the exit code (2 for usage errors, 1 otherwise).
void fail(CommandContext& ctx, const Error& error);
// The error fail() reports as a usage error: exit code 2.
Error usage_error(std::string message);
// fail(ctx, error) when `status` holds one.
void report(CommandContext& ctx, const Status& status);

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

// Prints `j` indented by two and a line end. Returns ok(), so that a command's body can end with
// `return print_json(j);`.
Status print_json(const nlohmann::json& j);

// A JSON array of to_json(item) (or of make(item)) for every item.
template <typename Range, typename Make>
nlohmann::json json_array(const Range& items, Make make) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& item : items)
    j.push_back(make(item));
  return j;
}
template <typename Range>
nlohmann::json json_array(const Range& items) {
  return json_array(items, [](const auto& item) { return to_json(item); });
}

// Columns of text: every cell but the last padded with spaces to its column's width (counted in
// bytes, like printf's %-Ns; a longer cell is not cut), one space between cells.
class Table {
 public:
  explicit Table(std::vector<std::size_t> widths) : widths_(std::move(widths)) {}
  void print(const std::vector<std::string>& cells) const;

 private:
  std::vector<std::size_t> widths_;
};

// The options of a command that works on a data directory; a command with more derives from it.
struct DataOptions {
  std::string data;
  bool json = false;
};

// A subcommand and its options, which its callback shares.
template <typename Opts>
struct Command {
  CLI::App* app;
  std::shared_ptr<Opts> opts;

  CLI::App* operator->() const { return app; }

  // --json; add it after the command's own options, in the place --help lists it.
  void add_json(const std::string& help = "print JSON") const {
    app->add_flag("--json", opts->json, help);
  }

  // The callback runs body(opts), a Status; its error goes through fail().
  template <typename Body>
  void callback(CommandContext& ctx, Body body) const {
    app->callback([o = opts, &ctx, body = std::move(body)] { report(ctx, body(*o)); });
  }

  // The callback opens the data directory, then runs body(env, opts); an error, the directory's
  // too, goes through fail().
  template <typename Body>
  void with_environment(CommandContext& ctx, Body body) const {
    callback(ctx, [body = std::move(body)](const Opts& o) -> Status {
      CAPF_ASSIGN_OR_RETURN(auto env, Environment::open(o.data));
      return body(*env, o);
    });
  }
};

// Adds `name` to `parent`, a command that needs one of its subcommands, and has each of `adders`
// add its subcommand to it. Returns the new command.
using AddSubcommand = void (*)(CLI::App& group, CommandContext& ctx);
CLI::App* add_group(CLI::App& parent, CommandContext& ctx, std::string name,
                    std::string description, std::initializer_list<AddSubcommand> adders);

// Adds subcommand `name` to `parent`, without --data: for a command that needs no data directory.
template <typename Opts>
Command<Opts> add_command_without_data(CLI::App& parent, std::string name,
                                       std::string description) {
  return {parent.add_subcommand(std::move(name), std::move(description)), std::make_shared<Opts>()};
}

// Adds subcommand `name` to `parent`, with --data.
template <typename Opts = DataOptions>
Command<Opts> add_command(CLI::App& parent, std::string name, std::string description) {
  auto c = add_command_without_data<Opts>(parent, std::move(name), std::move(description));
  add_data_option(*c.app, c.opts->data);
  return c;
}

}  // namespace capf::cli
