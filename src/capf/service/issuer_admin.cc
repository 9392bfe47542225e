#include "capf/service/issuer_admin.h"

#include <fmt/format.h>

#include "capf/service/audit_trail.h"

namespace capf {

namespace {

Status count_requests(RequestQueue& requests, IssuerStatus& status) {
  RequestFilter waiting;
  waiting.state = RequestState::kWaiting;
  CAPF_ASSIGN_OR_RETURN(status.waiting, requests.count_requests(waiting));
  RequestFilter ready;
  ready.state = RequestState::kReady;
  CAPF_ASSIGN_OR_RETURN(status.ready, requests.count_requests(ready));
  return ok();
}

}  // namespace

Result<IssuerStatus> IssuerAdmin::show() {
  CAPF_ASSIGN_OR_RETURN(Config config, Config::load(data_dir_));
  IssuerStatus status;
  status.config = config.issuer;
  status.problems = factory_.check(config.issuer);
  auto issuer = factory_.build(config.issuer);
  status.description = issuer ? (*issuer)->describe() : std::string(to_string(config.issuer.mode));
  if (!issuer && status.problems.empty())
    status.problems.push_back(issuer.error().message);
  CAPF_TRY(count_requests(requests_, status));
  return status;
}

Result<IssuerStatus> IssuerAdmin::set(const IssuerConfig& config, const std::string& actor) {
  IssuerStatus status;
  status.config = config;
  status.problems = factory_.check(config);
  if (status.problems.empty()) {
    auto issuer = factory_.build(config);
    if (!issuer) {
      status.problems.push_back(issuer.error().message);
    } else {
      status.description = (*issuer)->describe();
    }
  }
  if (!status.problems.empty()) {
    std::string text;
    for (const auto& p : status.problems)
      text += "\n  - " + p;
    return make_error(ErrorCode::kInvalidArgument, "cannot switch to {} mode; nothing changed:{}",
                      to_string(config.mode), text);
  }
  CAPF_ASSIGN_OR_RETURN(Config before, Config::load(data_dir_));
  CAPF_TRY(write_issuer_config(data_dir_, config));
  CAPF_TRY(count_requests(requests_, status));
  CAPF_TRY(record_audit(
      audit_, actor, "issuer.set", "issuer",
      nlohmann::json{{"mode", to_string(before.issuer.mode)}}.dump(),
      nlohmann::json{{"mode", to_string(config.mode)}, {"ca", status.description}}.dump()));
  return status;
}

}  // namespace capf
