#include "capf/store/device_store.h"

namespace capf {

std::string_view to_string(CertificateState state) {
  switch (state) {
    case CertificateState::kIssued:
      return "issued";
    case CertificateState::kInstalled:
      return "installed";
    case CertificateState::kRejected:
      return "rejected";
    case CertificateState::kRevoked:
      return "revoked";
  }
  return "?";
}

Result<CertificateState> parse_certificate_state(std::string_view text) {
  for (CertificateState state : {CertificateState::kIssued, CertificateState::kInstalled,
                                 CertificateState::kRejected, CertificateState::kRevoked}) {
    if (text == to_string(state)) {
      return state;
    }
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown certificate state '{}': use issued, installed, rejected or revoked",
                    text);
}

std::string_view to_string(RequestState state) {
  switch (state) {
    case RequestState::kWaiting:
      return "waiting";
    case RequestState::kReady:
      return "ready";
    case RequestState::kDelivered:
      return "delivered";
    case RequestState::kFailed:
      return "failed";
    case RequestState::kSuperseded:
      return "superseded";
    case RequestState::kCancelled:
      return "cancelled";
  }
  return "?";
}

Result<RequestState> parse_request_state(std::string_view text) {
  for (RequestState state :
       {RequestState::kWaiting, RequestState::kReady, RequestState::kDelivered,
        RequestState::kFailed, RequestState::kSuperseded, RequestState::kCancelled}) {
    if (text == to_string(state)) {
      return state;
    }
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown request state '{}': use waiting, ready, delivered, failed, superseded "
                    "or cancelled",
                    text);
}

std::string_view to_string(AdminRole role) {
  switch (role) {
    case AdminRole::kViewer:
      return "viewer";
    case AdminRole::kOperator:
      return "operator";
    case AdminRole::kAdmin:
      return "admin";
  }
  return "?";
}

Result<AdminRole> parse_admin_role(std::string_view text) {
  for (AdminRole role : {AdminRole::kViewer, AdminRole::kOperator, AdminRole::kAdmin}) {
    if (text == to_string(role)) {
      return role;
    }
  }
  return make_error(ErrorCode::kInvalidArgument, "unknown role '{}': use viewer, operator or admin",
                    text);
}

}  // namespace capf
