#include "capf/domain/device.h"

#include <fmt/format.h>

#include "capf/common/enum_names.h"

namespace capf {

std::string_view to_string(Operation op) {
  return display_of(kOperationSpellings, op);
}

std::string_view short_name(Operation op) {
  return name_of(kOperationSpellings, op);
}

std::string_view to_string(AuthMode mode) {
  return display_of(kAuthModeSpellings, mode);
}

std::string_view short_name(AuthMode mode) {
  return name_of(kAuthModeSpellings, mode);
}

std::string_view to_string(KeyOrder order) {
  return display_of(kKeyOrderSpellings, order);
}

std::string_view short_name(KeyOrder order) {
  return name_of(kKeyOrderSpellings, order);
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
  return display_of(kFailureReasonSpellings, reason);
}

namespace {
constexpr EnumName<Operation> kStatusVerbs[] = {
    {Operation::kInstall, "Upgrade"},
    {Operation::kDelete, "Delete"},
    {Operation::kTroubleshoot, "Troubleshoot"},
    {Operation::kNone, "Operation"},
};

std::string_view status_verb(Operation op) {
  return name_in(kStatusVerbs, op);
}

}  // namespace

std::string to_string(const OperationStatus& status) {
  const std::string_view kind = display_of(kStatusKindSpellings, status.kind);
  if (status.kind == StatusKind::kNone || status.kind == StatusKind::kPending)
    return std::string(kind);
  if (status.kind == StatusKind::kFailed && status.reason != FailureReason::kNone)
    return fmt::format("{} {}: {}", status_verb(status.operation), kind, to_string(status.reason));
  return fmt::format("{} {}", status_verb(status.operation), kind);
}

std::string to_string(const KeySpec& spec) {
  if (spec.type == KeyType::kRsa)
    return fmt::format("rsa:{}", spec.bits);
  return fmt::format("ec:p{}", spec.bits);
}

Result<Operation> parse_operation(std::string_view text) {
  if (auto op = parse_spelling(kOperationSpellings, text, /*or_display=*/true))
    return *op;
  if (text == "upgrade" || text == "fetch") {
    return text == "upgrade" ? Operation::kInstall : Operation::kTroubleshoot;
  }
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown operation '{}': use install, delete, troubleshoot or none", text);
}

Result<AuthMode> parse_auth_mode(std::string_view text) {
  if (auto mode = parse_spelling(kAuthModeSpellings, text, /*or_display=*/true))
    return *mode;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown authentication mode '{}': use string, null, lsc or mic", text);
}

Result<KeyOrder> parse_key_order(std::string_view text) {
  if (auto order = parse_spelling(kKeyOrderSpellings, text, /*or_display=*/true))
    return *order;
  return make_error(ErrorCode::kInvalidArgument, "unknown key order '{}': use rsa, ec or ec-rsa",
                    text);
}

Result<OperationStatus> parse_status(std::string_view text) {
  if (text == to_string(OperationStatus::none()))
    return OperationStatus::none();
  if (text == to_string(OperationStatus::pending()))
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
