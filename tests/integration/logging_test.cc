// The daemon's logger: a device name or URL path with control characters stays on its own line
// (text) and keeps the JSON lines valid (json).
#include "capf/daemon/logging.h"

#include <cstdio>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace capf {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct EscapeCase {
  std::string in;
  std::string out;
};

TEST(Logging, EscapesEveryControlCharacter) {
  const EscapeCase cases[] = {
      {"SEP001122334455", "SEP001122334455"},
      {"a\nb", "a\\nb"},
      {"a\r\nb", "a\\r\\nb"},
      {"a\tb", "a\\tb"},
      {"\x1b[2J", "\\x1b[2J"},
      {std::string("a\0b", 3), "a\\x00b"},
      {"\x01\x1f\x7f", "\\x01\\x1f\\x7f"},
      {"\xc2\x85next", "\\x85next"},  // NEL, U+0085
      {"\xc2\x9b"
       "31m",
       "\\x9b31m"},                                      // CSI, U+009B
      {"caf\xc3\xa9 \xc2\xa0", "caf\xc3\xa9 \xc2\xa0"},  // é and U+00A0 are text
  };
  for (const EscapeCase& c : cases)
    EXPECT_EQ(escape_control_characters(c.in), c.out) << c.in;
}

// Lines the logger writes for one event quoting `name`.
std::vector<std::string> log_one(const std::string& format, const std::string& name) {
  std::FILE* file = std::tmpfile();
  auto logger = make_logger(LogConfig{format, "info"}, file);
  logger->info("session 01: device {} connected", name);
  logger->flush();
  std::rewind(file);
  std::vector<std::string> lines;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, file) != nullptr)
    lines.emplace_back(buffer);
  std::fclose(file);
  return lines;
}

TEST(Logging, ANewlineInANameCannotForgeALine) {
  const std::string name = "SEP1\n2026-12-05T09:00:00.000Z INFO  FAKE admin token created\r\x1b[1A";
  auto text = log_one("text", name);
  ASSERT_EQ(text.size(), 1u);
  EXPECT_THAT(text[0], HasSubstr("device SEP1\\n2026-12-05T09:00:00.000Z INFO  FAKE admin"));
  EXPECT_THAT(text[0], HasSubstr("created\\r\\x1b[1A connected"));
  EXPECT_THAT(text[0], Not(HasSubstr("\x1b[1A")));

  auto json = log_one("json", name);
  ASSERT_EQ(json.size(), 1u);
  auto line = nlohmann::json::parse(json[0]);  // throws (fails the test) on invalid JSON
  EXPECT_EQ(line["message"], "session 01: device " + name + " connected");
}

}  // namespace
}  // namespace capf
