// The handler kit: query parameters (query.h), bodies and service results (respond.h).
#include "capf/api/query.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "capf/api/respond.h"

namespace capf::api {
namespace {

using nlohmann::json;

ApiRequest with_query(std::map<std::string, std::string> query) {
  ApiRequest r;
  r.method = "GET";
  r.path = "/x";
  r.query = std::move(query);
  return r;
}

// 0 when `parsed` holds a value, else the problem's status; `detail` gets the problem's detail
// and `field` its field member.
template <typename T>
int refusal_of(const Parsed<T>& parsed, std::string* detail = nullptr,
               std::string* field = nullptr) {
  const auto* r = std::get_if<ApiResponse>(&parsed);
  if (r == nullptr)
    return 0;
  json body = json::parse(r->body);
  if (detail)
    *detail = body.value("detail", "");
  if (field)
    *field = body.value("field", "");
  return r->status;
}

TEST(PageLimit, TakesOneToTheMaximumAndNamesTheParameterOtherwise) {
  struct Case {
    std::map<std::string, std::string> query;
    std::size_t want;  // 0: refused
    std::string detail;
  };
  const Case cases[] = {
      {{}, kDefaultPageSize, ""},
      {{{"limit", "1"}}, 1, ""},
      {{{"limit", "1000"}}, 1000, ""},
      {{{"limit", "0"}}, 0, "limit: '0' is not a page size: give 1 to 1000"},
      {{{"limit", "1001"}}, 0, "limit: '1001' is not a page size: give 1 to 1000"},
      {{{"limit", "-5"}}, 0, "limit: '-5' is not a page size: give 1 to 1000"},
      {{{"limit", "10x"}}, 0, "limit: '10x' is not a page size: give 1 to 1000"},
      {{{"limit", ""}}, 0, "limit: '' is not a page size: give 1 to 1000"},
      {{{"limit", "99999999999999999999"}},
       0,
       "limit: '99999999999999999999' is not a page size: give 1 to 1000"},
  };
  for (const Case& c : cases) {
    auto parsed = page_limit(with_query(c.query));
    std::string detail, field;
    if (c.want == 0) {
      EXPECT_EQ(refusal_of(parsed, &detail, &field), 400) << c.detail;
      EXPECT_EQ(detail, c.detail);
      EXPECT_EQ(field, "limit");
    } else {
      ASSERT_EQ(refusal_of(parsed), 0) << c.want;
      EXPECT_EQ(std::get<std::size_t>(parsed), c.want);
    }
  }
}

TEST(QueryInt, ReadsAWholeNumberInItsRange) {
  struct Case {
    const char* text;  // nullptr: absent
    std::optional<std::int64_t> want;
    bool refused;
  };
  const Case cases[] = {{nullptr, std::nullopt, false},
                        {"7", 7, false},
                        {"-3", -3, false},
                        {"11", std::nullopt, true},
                        {"-4", std::nullopt, true},
                        {"3.5", std::nullopt, true},
                        {" 3", std::nullopt, true},
                        {"+3", std::nullopt, true}};
  for (const Case& c : cases) {
    std::map<std::string, std::string> query;
    if (c.text)
      query["days"] = c.text;
    auto parsed = query_int(with_query(query), "days", -3, 10, "a number of days: give e.g. 3");
    std::string detail;
    if (c.refused) {
      EXPECT_EQ(refusal_of(parsed, &detail), 400) << c.text;
      EXPECT_EQ(detail, fmt::format("days: '{}' is not a number of days: give e.g. 3", c.text));
    } else {
      ASSERT_EQ(refusal_of(parsed), 0) << (c.text ? c.text : "absent");
      EXPECT_EQ(std::get<std::optional<std::int64_t>>(parsed), c.want);
    }
  }
}

TEST(QueryTime, ReadsUtcTimes) {
  auto absent = query_time(with_query({}), "expires_before");
  ASSERT_EQ(refusal_of(absent), 0);
  EXPECT_FALSE(std::get<std::optional<TimePoint>>(absent));
  for (const char* good : {"2027-01-31", "2027-01-31T00:00:00Z", "2027:01:31:00"}) {
    auto parsed = query_time(with_query({{"expires_before", good}}), "expires_before");
    ASSERT_EQ(refusal_of(parsed), 0) << good;
    EXPECT_EQ(format_utc(*std::get<std::optional<TimePoint>>(parsed)), "2027-01-31T00:00:00Z");
  }
  for (const char* bad : {"tomorrow", "2027-02-30", "", "+30d"}) {
    std::string detail, field;
    auto parsed = query_time(with_query({{"expires_before", bad}}), "expires_before");
    EXPECT_EQ(refusal_of(parsed, &detail, &field), 400) << bad;
    EXPECT_EQ(detail, fmt::format("expires_before: '{}' is not a time: use e.g. "
                                  "2027-01-31T00:00:00Z or 2027-01-31",
                                  bad));
    EXPECT_EQ(field, "expires_before");
  }
}

TEST(QueryFlag, ReadsTrueOrFalseAndNamesAnythingElse) {
  auto absent = query_flag(with_query({}), "partial");
  ASSERT_EQ(refusal_of(absent), 0);
  EXPECT_FALSE(std::get<bool>(absent));
  auto yes = query_flag(with_query({{"partial", "true"}}), "partial");
  ASSERT_EQ(refusal_of(yes), 0);
  EXPECT_TRUE(std::get<bool>(yes));
  auto no = query_flag(with_query({{"partial", "false"}}), "partial");
  ASSERT_EQ(refusal_of(no), 0);
  EXPECT_FALSE(std::get<bool>(no));
  for (const char* bad : {"yes", "1", "", "TRUE"}) {
    std::string detail, field;
    EXPECT_EQ(refusal_of(query_flag(with_query({{"partial", bad}}), "partial"), &detail, &field),
              400)
        << bad;
    EXPECT_EQ(detail, fmt::format("partial: '{}': use true or false", bad));
    EXPECT_EQ(field, "partial");
  }
}

TEST(OnlyParameters, NamesTheFirstUnknownOne) {
  EXPECT_FALSE(only_parameters(with_query({{"a", "1"}, {"b", "2"}}), {"a", "b", "c"}));
  auto refused = only_parameters(with_query({{"a", "1"}, {"z", "2"}}), {"a", "b", "c"}, "filter");
  ASSERT_TRUE(refused);
  json body = json::parse(refused->body);
  EXPECT_EQ(body["detail"], "z: unknown filter: use a, b or c");
  EXPECT_EQ(body["field"], "z");
  EXPECT_EQ(one_of({"days"}), "days");
}

TEST(Respond, TurnsResultsIntoResponses) {
  EXPECT_EQ(respond(ok()).status, 204);
  EXPECT_EQ(respond(Status(make_error(ErrorCode::kNotFound, "no such device"))).status, 404);
  auto shown = respond(
      Result<int>(3),
      [](int n) {
        return json{{"n", n}};
      },
      201);
  EXPECT_EQ(shown.status, 201);
  EXPECT_EQ(json::parse(shown.body)["n"], 3);
  auto as_is = respond(Result<int>(3), [](int) { return no_content(); });
  EXPECT_EQ(as_is.status, 204);
  auto conflict =
      respond(Result<int>(make_error(ErrorCode::kConflict, "changed meanwhile")), [](int n) {
        return json{{"n", n}};
      });
  EXPECT_EQ(conflict.status, 409);
  EXPECT_EQ(json::parse(conflict.body)["detail"], "changed meanwhile");
}

TEST(ParseBody, RefusesWhatIsNotJsonOrNotAnObject) {
  struct Case {
    const char* body;
    const char* example;
    int status;  // 0: parsed
  };
  const Case cases[] = {{"{\"a\": 1}", "", 0},
                        {"[1]", "", 0},
                        {"not json", "", 400},
                        {"{\"a\": 1}", "{\"reason\": \"x\"}", 0},
                        {"[1]", "{\"reason\": \"x\"}", 400},
                        {"", "{\"reason\": \"x\"}", 400}};
  for (const Case& c : cases) {
    ApiRequest http;
    http.body = c.body;
    std::string detail;
    EXPECT_EQ(refusal_of(parse_body(http, c.example), &detail), c.status) << c.body;
    if (c.status != 0 && *c.example != '\0') {
      EXPECT_EQ(detail, fmt::format("the body must be a JSON object: {}", c.example));
    }
  }
}

TEST(RefuseEmptyBody, SaysWhatToSend) {
  ApiRequest http;
  auto refused = refuse_empty_body(http, "send the CSV file");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  EXPECT_EQ(json::parse(refused->body)["detail"], "the body is empty: send the CSV file");
  http.body = "x";
  EXPECT_FALSE(refuse_empty_body(http, "send the CSV file"));
}

}  // namespace
}  // namespace capf::api
