#include <mutex>

#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "capf/common/clock.h"
#include "capf/daemon/daemon.h"

namespace capf {

namespace {

// One JSON object per line: {"time": ..., "level": ..., "message": ...}.
class JsonLinesSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch()) % 1000;
    nlohmann::json line{
        {"time", fmt::format("{}.{:03}Z", format_utc(msg.time).substr(0, 19), millis.count())},
        {"level", std::string(spdlog::level::to_string_view(msg.level).data(),
                              spdlog::level::to_string_view(msg.level).size())},
        {"message", std::string(msg.payload.data(), msg.payload.size())}};
    std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    text.push_back('\n');
    std::fwrite(text.data(), 1, text.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace

Status init_logging(const LogConfig& config) {
  std::shared_ptr<spdlog::logger> logger;
  if (config.format == "json") {
    logger = std::make_shared<spdlog::logger>("opencapf", std::make_shared<JsonLinesSink>());
  } else {
    logger = std::make_shared<spdlog::logger>(
        "opencapf", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %^%-5l%$ %v", spdlog::pattern_time_type::utc);
  }
  logger->set_level(spdlog::level::from_str(config.level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return ok();
}

}  // namespace capf
