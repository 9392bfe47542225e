#include "apps/opencapf/cli_util.h"

#include <unistd.h>

#include <cstdlib>
#include <fstream>

#include "capf/common/file.h"

namespace capf::cli {

std::string default_data_dir() {
  const char* env = std::getenv("OPENCAPF_DATA");
  return env != nullptr && *env != '\0' ? std::string(env) : std::string("/var/lib/opencapf");
}

void add_data_option(CLI::App& cmd, std::string& data_dir) {
  data_dir = default_data_dir();
  cmd.add_option("--data", data_dir,
                 "data directory (default $OPENCAPF_DATA or /var/lib/opencapf)");
  // The store URL travels as OPENCAPF_STORE, which Config::load reads over [store] url.
  cmd.add_option_function<std::string>(
      "--store", [](const std::string& url) { ::setenv("OPENCAPF_STORE", url.c_str(), 1); },
      "registry URL postgresql://USER@HOST:PORT/DATABASE (default $OPENCAPF_STORE, else [store] "
      "url, else the SQLite file in the data directory); never with a password");
}

void fail(CommandContext& ctx, const Error& error) {
  std::fprintf(stderr, "opencapf: %s\n", error.message.c_str());
  ctx.exit_code = error.code == ErrorCode::kInvalidArgument ? 2 : 1;
}

Error usage_error(std::string message) {
  return Error{ErrorCode::kInvalidArgument, std::move(message)};
}

void report(CommandContext& ctx, const Status& status) {
  if (!status)
    fail(ctx, status.error());
}

std::unique_ptr<Environment> open_environment(CommandContext& ctx, const std::string& data_dir) {
  auto env = Environment::open(data_dir);
  if (!env) {
    fail(ctx, env.error());
    return nullptr;
  }
  return std::move(env).value();
}

std::string cli_actor() {
  const char* user = std::getenv("USER");
  if (user == nullptr || *user == '\0')
    user = getuid() == 0 ? "root" : "unknown";
  return fmt::format("cli:{}", user);
}

Result<std::string> read_file_bytes(const std::string& path) {
  auto bytes = read_file(path);
  if (!bytes)  // a path the administrator gave: a usage error (exit code 2)
    return Error{ErrorCode::kInvalidArgument, bytes.error().message};
  return bytes;
}

Status write_output(const std::string& path,
                    const std::function<Status(const OutputSink&)>& produce) {
  if (path.empty() || path == "-") {
    CAPF_TRY(produce([](std::string_view chunk) -> Status {
      if (std::fwrite(chunk.data(), 1, chunk.size(), stdout) != chunk.size())
        return make_error(ErrorCode::kIo, "cannot write to standard output");
      return ok();
    }));
    if (std::fflush(stdout) != 0)
      return make_error(ErrorCode::kIo, "cannot write to standard output");
    return ok();
  }
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out)
      return make_error(ErrorCode::kIo, "cannot write {}: check the directory exists", tmp);
    Status written = produce([&out, &tmp](std::string_view chunk) -> Status {
      out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      if (!out)
        return make_error(ErrorCode::kIo, "cannot write {}: is the disk full?", tmp);
      return ok();
    });
    out.close();
    if (!written || !out) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      return written ? make_error(ErrorCode::kIo, "cannot write {}", tmp) : written;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec)
    return make_error(ErrorCode::kIo, "cannot write {}: {}", path, ec.message());
  return ok();
}

CLI::App* add_group(CLI::App& parent, CommandContext& ctx, std::string name,
                    std::string description, std::initializer_list<AddSubcommand> adders) {
  CLI::App* group = parent.add_subcommand(std::move(name), std::move(description));
  group->require_subcommand(1);
  for (AddSubcommand add : adders)
    add(*group, ctx);
  return group;
}

Status print_json(const nlohmann::json& j) {
  std::printf("%s\n", j.dump(2).c_str());
  return ok();
}

void Table::print(const std::vector<std::string>& cells) const {
  std::string line;
  for (std::size_t i = 0; i < cells.size(); ++i) {
    if (i > 0)
      line += ' ';
    line += cells[i];
    if (i + 1 < cells.size() && i < widths_.size() && cells[i].size() < widths_[i])
      line.append(widths_[i] - cells[i].size(), ' ');
  }
  std::printf("%s\n", line.c_str());
}

}  // namespace capf::cli
