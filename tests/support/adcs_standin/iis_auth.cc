#include "iis_auth.h"

#include <algorithm>
#include <cctype>

#include "capf/common/strings.h"
#include "certsrv_html.h"

namespace capf::testing {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

AuthDecision IisAuthentication::decide(const StandinRequest& request, NtlmHandshake& ntlm) const {
  const std::string authorization = request.header("authorization");
  AuthDecision d;
  if (ntlm_on() && starts_with_ci(authorization, "NTLM ")) {
    d.scheme = AuthDecision::Scheme::kNtlm;
    NtlmHandshake::Answer answer = ntlm.accept(trim(std::string_view(authorization).substr(5)));
    switch (answer.step) {
      case NtlmHandshake::Step::kChallenge:
        d.kind = AuthDecision::Kind::kNtlmChallenge;
        d.reply = StandinReply{
            401,
            {{"WWW-Authenticate", "NTLM " + answer.token}, {"Content-Type", "text/html"}},
            certsrv_html::unauthorized_page()};
        return d;
      case NtlmHandshake::Step::kAuthenticated:
        d.kind = AuthDecision::Kind::kAllowed;
        return d;
      case NtlmHandshake::Step::kRejected:
        d.kind = AuthDecision::Kind::kRefused;
        d.reason = "ntlm: " + answer.reason;
        d.reply = challenge();
        return d;
    }
  }
  if (basic_on() && starts_with_ci(authorization, "Basic ")) {
    d.scheme = AuthDecision::Scheme::kBasic;
    auto decoded = base64_decode(trim(std::string_view(authorization).substr(6)));
    const std::string credentials = decoded ? to_string(*decoded) : "";
    if (basic_matches(credentials)) {
      d.kind = AuthDecision::Kind::kAllowed;
      return d;
    }
    d.kind = AuthDecision::Kind::kRefused;
    d.reason = "basic: wrong user or password for \"" +
               credentials.substr(0, credentials.find(':')) + "\"";
    d.reply = challenge();
    return d;
  }
  // IIS keeps an NTLM logon for the rest of the connection.
  if (ntlm_on() && authorization.empty() && ntlm.authenticated()) {
    d.kind = AuthDecision::Kind::kAllowed;
    d.scheme = AuthDecision::Scheme::kNtlm;
    return d;
  }
  d.kind = AuthDecision::Kind::kChallenge;
  d.reply = challenge();
  return d;
}

StandinReply IisAuthentication::challenge() const {
  StandinReply reply;
  reply.status = 401;
  if (ntlm_on()) {
    reply.headers.emplace_back("WWW-Authenticate", "Negotiate");
    reply.headers.emplace_back("WWW-Authenticate", "NTLM");
  }
  if (basic_on())
    reply.headers.emplace_back("WWW-Authenticate", "Basic realm=\"127.0.0.1\"");
  reply.headers.emplace_back("Content-Type", "text/html");
  reply.body = certsrv_html::unauthorized_page();
  return reply;
}

bool IisAuthentication::basic_matches(std::string_view credentials) const {
  const std::size_t colon = credentials.find(':');
  if (colon == std::string_view::npos)
    return false;
  std::string_view user = credentials.substr(0, colon);
  const std::string_view password = credentials.substr(colon + 1);
  std::string_view domain;
  if (std::size_t slash = user.find('\\'); slash != std::string_view::npos) {
    domain = user.substr(0, slash);
    user = user.substr(slash + 1);
  }
  const bool domain_ok = domain.empty() || lower(domain) == lower(account_.domain) ||
                         lower(domain) == lower(account_.dns_domain);
  return domain_ok && lower(user) == lower(account_.username) && password == account_.password;
}

}  // namespace capf::testing
