// The CAPF domain in CUCM's words: certificate operations, authentication modes, key choices,
// operation statuses, and the Device row that ties them to one phone or client.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/domain/device_name.h"
#include "capf/domain/spelling.h"

namespace capf {

// Certificate operation scheduled for a device.
enum class Operation { kNone, kInstall, kDelete, kTroubleshoot };

// Authentication mode; the values are the wire's AUTH_TYPE / capfAuthMode numbers
// (docs/protocol.md §4, §6.2).
enum class AuthMode : std::uint8_t {
  kAuthString = 1,  // By Authentication String
  kNullString = 2,  // By Null String
  kLscFirst = 3,    // By Existing Certificate (precedence to LSC)
  kMicFirst = 4,    // By Existing Certificate (precedence to MIC)
};

enum class KeyOrder { kRsaOnly, kEcOnly, kEcPreferredRsaBackup };

enum class KeyType : std::uint8_t { kRsa = 0, kEc = 1 };

// One key the phone is asked to generate.
struct KeySpec {
  KeyType type = KeyType::kRsa;
  int bits = 2048;  // RSA modulus bits, or the EC curve size (256, 384, 521)

  friend bool operator==(const KeySpec&, const KeySpec&) = default;
};

// Which certificate operation the status talks about, in CUCM's words ("Upgrade" = install).
enum class StatusKind { kNone, kPending, kSuccess, kFailed };

enum class FailureReason {
  kNone,  // a plain "<Operation> Failed"
  kInvalidLsc,
  kInvalidAuthString,
  kInvalidMic,
  kInvalidCredentials,
  kPhoneCommunicationFailure,
  kKeyGenerationFailed,
  kKeyGenerationTimeout,
  kRequestLate,      // the phone came after the Operation Completes By deadline
  kRequestTimedOut,  // the phone stopped answering within the session
  kCaCommunicationFailure,
  kCaRejectedConnection,
  kNoEcSupport,  // "Upgrade Failed: No Support for EC only in CAPF version 3"
};

// One table per enum (domain/spelling.h): short name and CUCM's display text, in one place.
inline constexpr Spelling<Operation> kOperationSpellings[] = {
    {Operation::kNone, "none", "No Pending Operation"},
    {Operation::kInstall, "install", "Install/Upgrade"},
    {Operation::kDelete, "delete", "Delete"},
    {Operation::kTroubleshoot, "troubleshoot", "Troubleshoot"},
};
inline constexpr Spelling<AuthMode> kAuthModeSpellings[] = {
    {AuthMode::kAuthString, "string", "By Authentication String"},
    {AuthMode::kNullString, "null", "By Null String"},
    {AuthMode::kLscFirst, "lsc", "By Existing Certificate (precedence to LSC)"},
    {AuthMode::kMicFirst, "mic", "By Existing Certificate (precedence to MIC)"},
};
inline constexpr Spelling<KeyOrder> kKeyOrderSpellings[] = {
    {KeyOrder::kRsaOnly, "rsa", "RSA Only"},
    {KeyOrder::kEcOnly, "ec", "EC Only"},
    {KeyOrder::kEcPreferredRsaBackup, "ec-rsa", "EC Preferred, RSA Backup"},
};
// The display text of kSuccess and kFailed follows the operation's verb ("Upgrade Success").
inline constexpr Spelling<StatusKind> kStatusKindSpellings[] = {
    {StatusKind::kNone, "none", "None"},
    {StatusKind::kPending, "pending", "Operation Pending"},
    {StatusKind::kSuccess, "success", "Success"},
    {StatusKind::kFailed, "failed", "Failed"},
};
inline constexpr Spelling<FailureReason> kFailureReasonSpellings[] = {
    {FailureReason::kNone, "none", ""},
    {FailureReason::kInvalidLsc, "invalid-lsc", "Invalid LSC"},
    {FailureReason::kInvalidAuthString, "invalid-auth-string", "Invalid Authentication String"},
    {FailureReason::kInvalidMic, "invalid-mic", "Invalid MIC"},
    {FailureReason::kInvalidCredentials, "invalid-credentials", "Invalid Credentials"},
    {FailureReason::kPhoneCommunicationFailure, "phone-communication-failure",
     "Phone Communication Failure"},
    {FailureReason::kKeyGenerationFailed, "key-generation-failed", "Key Generation Failed"},
    {FailureReason::kKeyGenerationTimeout, "key-generation-timeout", "Key Generation Timeout"},
    {FailureReason::kRequestLate, "request-late", "User Initiated Request Late"},
    {FailureReason::kRequestTimedOut, "request-timed-out", "User Initiated Request Timed out"},
    {FailureReason::kCaCommunicationFailure, "ca-communication-failure",
     "CA Communication Failure"},
    {FailureReason::kCaRejectedConnection, "ca-rejected-connection", "CA Rejected Connection"},
    {FailureReason::kNoEcSupport, "no-ec-support", "No Support for EC only in CAPF version 3"},
};

// Every value of the enums above, for parsers, stores and tests that must cover them all.
inline constexpr auto kAllOperations = values_of(kOperationSpellings);
inline constexpr auto kAllStatusKinds = values_of(kStatusKindSpellings);
inline constexpr auto kAllFailureReasons = values_of(kFailureReasonSpellings);

// Certificate Operation Status, as CUCM shows it: "None", "Operation Pending", "Upgrade Success",
// "Upgrade Failed: Invalid Authentication String", ...
struct OperationStatus {
  StatusKind kind = StatusKind::kNone;
  Operation operation = Operation::kNone;  // meaningful for kSuccess and kFailed
  FailureReason reason = FailureReason::kNone;

  static OperationStatus none() { return {}; }
  static OperationStatus pending() {
    return {StatusKind::kPending, Operation::kNone, FailureReason::kNone};
  }
  static OperationStatus success(Operation op) {
    return {StatusKind::kSuccess, op, FailureReason::kNone};
  }
  static OperationStatus failed(Operation op, FailureReason r) {
    return {StatusKind::kFailed, op, r};
  }

  friend bool operator==(const OperationStatus&, const OperationStatus&) = default;
};

std::string_view to_string(Operation op);
std::string_view to_string(AuthMode mode);
std::string_view to_string(KeyOrder order);
std::string_view to_string(KeyType type);
std::string_view to_string(FailureReason reason);
std::string to_string(const OperationStatus& status);
std::string to_string(const KeySpec& spec);  // "rsa:2048", "ec:p256"

// Parsers for the CLI and config forms. Each error names the accepted spellings.
Result<Operation> parse_operation(std::string_view text);     // install|delete|troubleshoot|none
Result<AuthMode> parse_auth_mode(std::string_view text);      // string|null|lsc|mic
Result<KeyOrder> parse_key_order(std::string_view text);      // rsa|ec|ec-rsa
Result<OperationStatus> parse_status(std::string_view text);  // to_string()'s output
Result<KeySpec> parse_key_spec(std::string_view text);        // rsa:N | ec:p256|p384|p521
// The stored short names (used by the registry), e.g. "install", "lsc", "ec-rsa".
std::string_view short_name(Operation op);
std::string_view short_name(AuthMode mode);
std::string_view short_name(KeyOrder order);

// RSA sizes phones are asked for; 512 only when the legacy switch allows it.
bool is_valid_rsa_bits(int bits, bool allow_512);
bool is_valid_ec_bits(int bits);

// The keys to ask for, in order, for a device's key order (EC preferred with RSA backup gives two).
std::vector<KeySpec> key_plan(KeyOrder order, int rsa_bits, int ec_bits);

// The LSC a device holds, as CAPF last knew it.
struct LscInfo {
  std::string serial_hex;
  std::string issuer;
  TimePoint not_after{};
};

// One registry row. Plain data; rules live in the services.
struct Device {
  DeviceName name{};
  Operation operation = Operation::kNone;
  AuthMode auth_mode = AuthMode::kNullString;
  std::optional<std::string> auth_string{};  // digits; only for kAuthString
  KeyOrder key_order = KeyOrder::kRsaOnly;
  int rsa_bits = 2048;
  int ec_bits = 256;
  std::optional<TimePoint> deadline{};  // Operation Completes By
  OperationStatus status{};
  TimePoint status_time{};
  std::string status_detail{};  // the reason in words (the last error, what the phone said)
  int auth_failures = 0;        // wrong authentication strings since the operation was set
  std::optional<LscInfo> lsc{};
  std::string description{};
  TimePoint created{};
  TimePoint updated{};
  std::int64_t version = 0;  // bumped by the store on every write
};

}  // namespace capf
