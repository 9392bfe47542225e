#include "capf/store/device_store.h"

#include <cstddef>
#include <optional>
#include <utility>

namespace capf {
namespace {

// Each value of an enum and the name it is stored and typed as.
template <typename E>
using Named = std::pair<E, std::string_view>;

constexpr Named<CertificateState> kCertificateStates[] = {
    {CertificateState::kIssued, "issued"},
    {CertificateState::kInstalled, "installed"},
    {CertificateState::kRejected, "rejected"},
    {CertificateState::kRevoked, "revoked"},
};

constexpr Named<RequestState> kRequestStates[] = {
    {RequestState::kWaiting, "waiting"},       {RequestState::kReady, "ready"},
    {RequestState::kDelivered, "delivered"},   {RequestState::kFailed, "failed"},
    {RequestState::kSuperseded, "superseded"}, {RequestState::kCancelled, "cancelled"},
};

constexpr Named<AdminRole> kAdminRoles[] = {
    {AdminRole::kViewer, "viewer"},
    {AdminRole::kOperator, "operator"},
    {AdminRole::kAdmin, "admin"},
};

template <typename E, std::size_t N>
std::string_view name_in(const Named<E> (&names)[N], E value) {
  for (const auto& [e, name] : names) {
    if (e == value) {
      return name;
    }
  }
  return "?";
}

template <typename E, std::size_t N>
std::optional<E> value_in(const Named<E> (&names)[N], std::string_view text) {
  for (const auto& [e, name] : names) {
    if (name == text) {
      return e;
    }
  }
  return std::nullopt;
}

// The value named `text`; kInvalidArgument naming the `choices` otherwise.
template <typename E, std::size_t N>
Result<E> parse_in(const Named<E> (&names)[N], std::string_view text, std::string_view what,
                   std::string_view choices) {
  if (auto value = value_in(names, text)) {
    return *value;
  }
  return make_error(ErrorCode::kInvalidArgument, "unknown {} '{}': use {}", what, text, choices);
}

}  // namespace

std::string_view to_string(CertificateState state) {
  return name_in(kCertificateStates, state);
}

Result<CertificateState> parse_certificate_state(std::string_view text) {
  return parse_in(kCertificateStates, text, "certificate state",
                  "issued, installed, rejected or revoked");
}

std::string_view to_string(RequestState state) {
  return name_in(kRequestStates, state);
}

Result<RequestState> parse_request_state(std::string_view text) {
  return parse_in(kRequestStates, text, "request state",
                  "waiting, ready, delivered, failed, superseded or cancelled");
}

std::string_view to_string(AdminRole role) {
  return name_in(kAdminRoles, role);
}

Result<AdminRole> parse_admin_role(std::string_view text) {
  return parse_in(kAdminRoles, text, "role", "viewer, operator or admin");
}

}  // namespace capf
