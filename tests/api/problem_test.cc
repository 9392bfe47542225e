// Problem objects for service errors: what guides the admin is answered, what reveals the inside
// (SQL text, file paths) is logged under an error id and only the id is answered.
#include "capf/api/problem.h"
#include "tests/api/log_capture.h"

#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

namespace capf::api {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Case {
  ErrorCode code;
  int status;
  bool answered_as_is;  // false: only logged, the answer carries an error id
};

TEST(Problem, InternalDetailsAreLoggedNotAnswered) {
  const std::string message =
      "UNIQUE constraint failed: devices.name in INSERT INTO devices VALUES (?) at "
      "/var/lib/opencapf/registry.db";
  const Case cases[] = {
      {ErrorCode::kDatabase, 500, false},        {ErrorCode::kIo, 500, false},
      {ErrorCode::kInternal, 500, false},        {ErrorCode::kCrypto, 500, false},
      {ErrorCode::kProtocol, 500, false},        {ErrorCode::kInvalidArgument, 400, true},
      {ErrorCode::kNotFound, 404, true},         {ErrorCode::kConflict, 409, true},
      {ErrorCode::kPermissionDenied, 403, true}, {ErrorCode::kUnavailable, 503, true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(to_string(c.code)));
    LogCapture log;
    ApiResponse r = problem(Error{c.code, message});
    EXPECT_EQ(r.status, c.status);
    EXPECT_EQ(r.content_type, "application/problem+json");
    auto body = nlohmann::json::parse(r.body);
    EXPECT_EQ(body["status"], c.status);
    if (c.answered_as_is) {
      EXPECT_EQ(body["detail"], message);
      EXPECT_EQ(log.text(), "");
      continue;
    }
    EXPECT_THAT(r.body, Not(HasSubstr("INSERT")));
    EXPECT_THAT(r.body, Not(HasSubstr("/var/lib")));
    EXPECT_EQ(body["title"], "internal error");
    const std::string id = body["error_id"];
    EXPECT_EQ(id.size(), 16u);
    EXPECT_THAT(body["detail"].get<std::string>(), HasSubstr("error id " + id));
    EXPECT_THAT(body["detail"].get<std::string>(), HasSubstr("see the server log"));
    // The admin finds the whole story by the id.
    EXPECT_THAT(log.text(), HasSubstr("error admin api: internal error " + id + ": " + message));
  }
}

TEST(Problem, EveryInternalErrorHasItsOwnId) {
  LogCapture log;
  auto first = nlohmann::json::parse(internal_problem("one").body);
  auto second = nlohmann::json::parse(internal_problem("two").body);
  EXPECT_NE(first["error_id"], second["error_id"]);
}

TEST(Problem, FieldProblemsKeepTheirGuidance) {
  auto body = nlohmann::json::parse(field_problem("role", "use admin, operator or viewer").body);
  EXPECT_EQ(body["detail"], "role: use admin, operator or viewer");
  EXPECT_EQ(body["field"], "role");
  EXPECT_EQ(body["title"], "Bad Request");
}

}  // namespace
}  // namespace capf::api
