#include "capf/service/issuer_admin.h"

#include <fmt/format.h>

#include "capf/service/audit_trail.h"
#include "capf/service/cluster_sync.h"

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

void set_if_given(std::string& setting, const std::string& given) {
  if (!given.empty())
    setting = given;
}
void set_if_given(int& setting, const std::optional<int>& given) {
  if (given)
    setting = *given;
}
void set_path_if_given(std::string& setting, const std::string& given,
                       const std::filesystem::path& relative_to) {
  std::error_code ec;
  if (!given.empty())
    setting = std::filesystem::absolute(relative_to / given, ec).lexically_normal().string();
}

}  // namespace

Status apply_issuer_change(const IssuerChange& change, const std::filesystem::path& relative_to,
                           IssuerConfig& config) {
  CAPF_ASSIGN_OR_RETURN(config.mode, parse_issuer_mode(change.mode));
  OnlineCaConfig& online = config.online;
  if (!change.protocol.empty()) {
    CAPF_ASSIGN_OR_RETURN(online.protocol, parse_online_protocol(change.protocol));
  }
  const bool offline = config.mode == IssuerMode::kOffline;
  set_if_given(online.url, change.url);
  set_path_if_given(offline ? config.offline.ca_chain_file : online.ca_chain_file, change.ca_chain,
                    relative_to);
  if (!change.key_types.empty())
    (offline ? config.offline.key_types : online.key_types) = change.key_types;
  set_if_given(online.username, change.username);
  if (!change.password_file.empty()) {
    set_path_if_given(online.password_file, change.password_file, relative_to);
    online.password_env.clear();
  }
  if (!change.password_env.empty()) {
    online.password_env = change.password_env;
    online.password_file.clear();
  }
  set_if_given(online.auth, change.auth);
  set_if_given(online.template_name, change.template_name);
  set_if_given(online.profile, change.profile);
  set_if_given(online.acme_email, change.acme_email);
  set_if_given(online.acme_identifier_suffix, change.acme_suffix);
  set_if_given(online.timeout_seconds, change.timeout);
  set_if_given(online.retries, change.retries);
  set_if_given(online.poll_seconds, change.poll);
  return ok();
}

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
  if (cluster_ != nullptr) {
    CAPF_ASSIGN_OR_RETURN(Config after, Config::load(data_dir_));
    Status published = publish_issuer(after, *cluster_);
    if (!published)
      return published.error().with_context("publishing the [issuer] settings to the other nodes");
  }
  CAPF_TRY(count_requests(requests_, status));
  CAPF_TRY(record_audit(
      audit_, actor, "issuer.set", "issuer",
      nlohmann::json{{"mode", to_string(before.issuer.mode)}}.dump(),
      nlohmann::json{{"mode", to_string(config.mode)}, {"ca", status.description}}.dump()));
  return status;
}

Result<IssuerStatus> IssuerAdmin::change(const IssuerChange& change, const std::string& actor,
                                         const std::filesystem::path& relative_to) {
  CAPF_ASSIGN_OR_RETURN(Config now, Config::load(data_dir_));
  IssuerConfig config = now.issuer;  // unchanged settings are kept
  CAPF_TRY(apply_issuer_change(change, relative_to.empty() ? data_dir_ : relative_to, config));
  return set(config, actor);
}

}  // namespace capf
