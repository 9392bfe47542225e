// IIS's authentication in front of certsrv, as the stand-in plays it: Windows authentication
// (NTLM, listed after Negotiate as IIS lists its providers), Basic when the admin enabled it, or
// both. A refusal is a 401 with IIS's own body text. Test support only.
#pragma once

#include <string>
#include <string_view>

#include "ntlm_server.h"
#include "standin_http.h"

namespace capf::testing {

enum class StandinAuth { kNtlm, kBasic, kNtlmAndBasic };

struct AuthDecision {
  enum class Kind {
    kAllowed,        // serve the request
    kNtlmChallenge,  // 401 carrying the NTLM CHALLENGE of this connection
    kRefused,        // credentials that did not verify: 401 offering the schemes again
    kChallenge,      // no usable credentials: 401 offering the schemes
  };
  enum class Scheme { kNone, kNtlm, kBasic };
  Kind kind = Kind::kChallenge;
  Scheme scheme = Scheme::kNone;
  StandinReply reply;  // the 401 to send unless kAllowed
  std::string reason;  // kRefused: why, for the stand-in's log
};

class IisAuthentication {
 public:
  IisAuthentication(const NtlmAccount& account, StandinAuth mode)
      : account_(account), mode_(mode) {}

  // Decides one request of a connection whose NTLM state is `ntlm`: an NTLM logon lasts for the
  // rest of its connection, Basic credentials count for one request.
  AuthDecision decide(const StandinRequest& request, NtlmHandshake& ntlm) const;
  // 401 offering "Negotiate" and "NTLM" (Windows authentication), then Basic, as configured.
  StandinReply challenge() const;

 private:
  bool ntlm_on() const { return mode_ != StandinAuth::kBasic; }
  bool basic_on() const { return mode_ != StandinAuth::kNtlm; }
  // Whether "user:password" (user optionally "DOMAIN\user") is the account's.
  bool basic_matches(std::string_view credentials) const;

  const NtlmAccount& account_;
  StandinAuth mode_;
};

}  // namespace capf::testing
