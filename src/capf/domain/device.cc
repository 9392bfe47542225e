#include "capf/domain/device.h"

#include <fmt/format.h>

namespace capf {

std::string_view to_string(Operation op) {
  switch (op) {
    case Operation::kNone:
      return "No Pending Operation";
    case Operation::kInstall:
      return "Install/Upgrade";
    case Operation::kDelete:
      return "Delete";
    case Operation::kTroubleshoot:
      return "Troubleshoot";
  }
  return "?";
}

std::string_view short_name(Operation op) {
  switch (op) {
    case Operation::kNone:
      return "none";
    case Operation::kInstall:
      return "install";
    case Operation::kDelete:
      return "delete";
    case Operation::kTroubleshoot:
      return "troubleshoot";
  }
  return "?";
}

std::string_view to_string(AuthMode mode) {
  switch (mode) {
    case AuthMode::kAuthString:
      return "By Authentication String";
    case AuthMode::kNullString:
      return "By Null String";
    case AuthMode::kLscFirst:
      return "By Existing Certificate (precedence to LSC)";
    case AuthMode::kMicFirst:
      return "By Existing Certificate (precedence to MIC)";
  }
  return "?";
}

std::string_view short_name(AuthMode mode) {
  switch (mode) {
    case AuthMode::kAuthString:
      return "string";
    case AuthMode::kNullString:
      return "null";
    case AuthMode::kLscFirst:
      return "lsc";
    case AuthMode::kMicFirst:
      return "mic";
  }
  return "?";
}

std::string_view to_string(KeyOrder order) {
  switch (order) {
    case KeyOrder::kRsaOnly:
      return "RSA Only";
    case KeyOrder::kEcOnly:
      return "EC Only";
    case KeyOrder::kEcPreferredRsaBackup:
      return "EC Preferred, RSA Backup";
  }
  return "?";
}

std::string_view short_name(KeyOrder order) {
  switch (order) {
    case KeyOrder::kRsaOnly:
      return "rsa";
    case KeyOrder::kEcOnly:
      return "ec";
    case KeyOrder::kEcPreferredRsaBackup:
      return "ec-rsa";
  }
  return "?";
}

std::string_view to_string(KeyType type) {
  switch (type) {
    case KeyType::kRsa:
      return "rsa";
    case KeyType::kEc:
      return "ec";
  }
  return "?";
}

std::string_view to_string(FailureReason reason) {
  switch (reason) {
    case FailureReason::kNone:
      return "";
    case FailureReason::kInvalidLsc:
      return "Invalid LSC";
    case FailureReason::kInvalidAuthString:
      return "Invalid Authentication String";
    case FailureReason::kInvalidMic:
      return "Invalid MIC";
    case FailureReason::kInvalidCredentials:
      return "Invalid Credentials";
    case FailureReason::kPhoneCommunicationFailure:
      return "Phone Communication Failure";
    case FailureReason::kKeyGenerationFailed:
      return "Key Generation Failed";
    case FailureReason::kKeyGenerationTimeout:
      return "Key Generation Timeout";
    case FailureReason::kRequestLate:
      return "User Initiated Request Late";
    case FailureReason::kRequestTimedOut:
      return "User Initiated Request Timed out";
    case FailureReason::kCaCommunicationFailure:
      return "CA Communication Failure";
    case FailureReason::kCaRejectedConnection:
      return "CA Rejected Connection";
    case FailureReason::kNoEcSupport:
      return "No Support for EC only in CAPF version 3";
  }
  return "?";
}

namespace {
std::string_view status_verb(Operation op) {
  switch (op) {
    case Operation::kInstall:
      return "Upgrade";
    case Operation::kDelete:
      return "Delete";
    case Operation::kTroubleshoot:
      return "Troubleshoot";
    case Operation::kNone:
      return "Operation";
  }
  return "?";
}

}  // namespace

std::string to_string(const OperationStatus& status) {
  switch (status.kind) {
    case StatusKind::kNone:
      return "None";
    case StatusKind::kPending:
      return "Operation Pending";
    case StatusKind::kSuccess:
      return fmt::format("{} Success", status_verb(status.operation));
    case StatusKind::kFailed:
      if (status.reason == FailureReason::kNone) {
        return fmt::format("{} Failed", status_verb(status.operation));
      }
      return fmt::format("{} Failed: {}", status_verb(status.operation), to_string(status.reason));
  }
  return "?";
}

std::string to_string(const KeySpec& spec) {
  if (spec.type == KeyType::kRsa)
    return fmt::format("rsa:{}", spec.bits);
  return fmt::format("ec:p{}", spec.bits);
}

Result<Operation> parse_operation(std::string_view text) {
  for (Operation op : kAllOperations) {
    if (text == short_name(op) || text == to_string(op))
      return op;
  }
  if (text == "upgrade" || text == "fetch") {
    return text == "upgrade" ? Operation::kInstall : Operation::kTroubleshoot;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown operation '{}': use install, delete, troubleshoot or none", text);
}

Result<AuthMode> parse_auth_mode(std::string_view text) {
  for (AuthMode m :
       {AuthMode::kAuthString, AuthMode::kNullString, AuthMode::kLscFirst, AuthMode::kMicFirst}) {
    if (text == short_name(m) || text == to_string(m))
      return m;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown authentication mode '{}': use string, null, lsc or mic", text);
}

Result<KeyOrder> parse_key_order(std::string_view text) {
  for (KeyOrder o : {KeyOrder::kRsaOnly, KeyOrder::kEcOnly, KeyOrder::kEcPreferredRsaBackup}) {
    if (text == short_name(o) || text == to_string(o))
      return o;
  }
  return make_error(ErrorCode::kInvalidArgument, "unknown key order '{}': use rsa, ec or ec-rsa",
                    text);
}

Result<OperationStatus> parse_status(std::string_view text) {
  if (text == "None")
    return OperationStatus::none();
  if (text == "Operation Pending")
    return OperationStatus::pending();
  for (Operation op : kAllOperations) {
    OperationStatus s = OperationStatus::success(op);
    if (text == to_string(s))
      return s;
    for (FailureReason r : kAllFailureReasons) {
      OperationStatus f = OperationStatus::failed(op, r);
      if (text == to_string(f))
        return f;
    }
  }
  return make_error(ErrorCode::kInvalidArgument, "unknown operation status '{}'", text);
}

Result<KeySpec> parse_key_spec(std::string_view text) {
  auto fail = [&] {
    return make_error(ErrorCode::kInvalidArgument,
                      "unknown key '{}': use rsa:2048, rsa:3072, rsa:4096, ec:p256 or ec:p384",
                      text);
  };
  if (text.rfind("rsa:", 0) == 0) {
    std::string_view n = text.substr(4);
    int bits = 0;
    for (char c : n) {
      if (c < '0' || c > '9' || bits > 100000)
        return Result<KeySpec>(fail());
      bits = bits * 10 + (c - '0');
    }
    if (n.empty())
      return Result<KeySpec>(fail());
    return KeySpec{KeyType::kRsa, bits};
  }
  if (text == "ec:p256" || text == "ec:P-256" || text == "ec:prime256v1")
    return KeySpec{KeyType::kEc, 256};
  if (text == "ec:p384" || text == "ec:P-384" || text == "ec:secp384r1")
    return KeySpec{KeyType::kEc, 384};
  if (text == "ec:p521" || text == "ec:P-521" || text == "ec:secp521r1")
    return KeySpec{KeyType::kEc, 521};
  return fail();
}

bool is_valid_rsa_bits(int bits, bool allow_512) {
  return bits == 1024 || bits == 2048 || bits == 3072 || bits == 4096 || (allow_512 && bits == 512);
}

bool is_valid_ec_bits(int bits) {
  return bits == 256 || bits == 384 || bits == 521;
}

std::vector<KeySpec> key_plan(KeyOrder order, int rsa_bits, int ec_bits) {
  switch (order) {
    case KeyOrder::kRsaOnly:
      return {KeySpec{KeyType::kRsa, rsa_bits}};
    case KeyOrder::kEcOnly:
      return {KeySpec{KeyType::kEc, ec_bits}};
    case KeyOrder::kEcPreferredRsaBackup:
      return {KeySpec{KeyType::kEc, ec_bits}, KeySpec{KeyType::kRsa, rsa_bits}};
  }
  return {};
}

}  // namespace capf
