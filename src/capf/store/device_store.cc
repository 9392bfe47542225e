#include "capf/store/device_store.h"

#include <cstddef>

#include "capf/common/enum_names.h"

namespace capf {
namespace {

constexpr EnumName<CertificateState> kCertificateStates[] = {
    {CertificateState::kIssued, "issued"},
    {CertificateState::kInstalled, "installed"},
    {CertificateState::kRejected, "rejected"},
    {CertificateState::kRevoked, "revoked"},
};

constexpr EnumName<RequestState> kRequestStates[] = {
    {RequestState::kWaiting, "waiting"},       {RequestState::kReady, "ready"},
    {RequestState::kDelivered, "delivered"},   {RequestState::kFailed, "failed"},
    {RequestState::kSuperseded, "superseded"}, {RequestState::kCancelled, "cancelled"},
};

constexpr EnumName<AdminRole> kAdminRoles[] = {
    {AdminRole::kViewer, "viewer"},
    {AdminRole::kOperator, "operator"},
    {AdminRole::kAdmin, "admin"},
};

// The value named `text`; kInvalidArgument naming the `choices` otherwise.
template <typename E, std::size_t N>
Result<E> parse_in(const EnumName<E> (&names)[N], std::string_view text, std::string_view what,
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
