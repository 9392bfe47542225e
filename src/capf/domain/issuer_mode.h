// Where LSCs come from (docs/architecture.md §4) and, for an online CA, the protocol it speaks:
// one table each (domain/spelling.h) with the word opencapf.toml, the CLI, the API and the
// registry's request queue use, and the words admins see. config/ parses them once; everything
// past config/ (the issuers, the service, the daemon) compares the enums.
#pragma once

#include <string_view>

#include "capf/domain/spelling.h"

namespace capf {

enum class IssuerMode { kCapf, kOnline, kOffline };
enum class OnlineProtocol { kNone, kAdcs, kScep, kAcme, kCfssl };  // kNone: not set ("")

inline constexpr Spelling<IssuerMode> kIssuerModeSpellings[] = {
    {IssuerMode::kCapf, "capf", "CAPF signs"},
    {IssuerMode::kOnline, "online", "Online CA"},
    {IssuerMode::kOffline, "offline", "Offline CA"},
};
inline constexpr Spelling<OnlineProtocol> kOnlineProtocolSpellings[] = {
    {OnlineProtocol::kNone, "", "none"},
    {OnlineProtocol::kAdcs, "adcs", "Microsoft AD CS web enrollment"},
    {OnlineProtocol::kScep, "scep", "SCEP"},
    {OnlineProtocol::kAcme, "acme", "ACME"},
    {OnlineProtocol::kCfssl, "cfssl", "CFSSL"},
};

constexpr std::string_view to_string(IssuerMode mode) {
  return name_of(kIssuerModeSpellings, mode);
}
constexpr std::string_view to_string(OnlineProtocol protocol) {
  return name_of(kOnlineProtocolSpellings, protocol);
}

}  // namespace capf
