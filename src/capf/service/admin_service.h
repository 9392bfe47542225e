// AdminService: everything an administrator can do, written once for every surface (the CLI today,
// the REST API and console later). Methods block on the registry; they are thread-safe. Every
// change is recorded as a device event naming the actor, and in the audit log with the object
// before and after.
#pragma once

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "capf/common/clock.h"
#include "capf/domain/device.h"
#include "capf/issuer/capf_identity.h"
#include "capf/store/device_store.h"
#include "capf/trust/trust_stores.h"

namespace capf {

struct AdminPolicy {
  int default_deadline_days = 10;
  bool allow_rsa_512 = false;
};

// A change to one device; unset fields keep their value (a new device starts from the defaults:
// no operation, null string, RSA only 2048, EC 256).
struct DeviceChange {
  std::string name{};
  std::optional<Operation> operation{};
  std::optional<AuthMode> auth_mode{};
  std::optional<std::string> auth_string{};
  bool generate_auth_string = false;
  std::optional<KeyOrder> key_order{};
  std::optional<int> rsa_bits{};
  std::optional<int> ec_bits{};
  std::optional<std::optional<TimePoint>> deadline{};  // set, or clear with nullopt inside
  std::optional<std::string> description{};
};

struct DeviceChangeResult {
  Device device;
  bool created = false;
  std::optional<std::string> generated_auth_string;  // shown once
  std::vector<std::string> warnings;                 // e.g. a deadline already in the past
};

// Why set_device would refuse a change, and the DeviceChange field it is about: "name",
// "auth_string", "generate_auth_string", "rsa_bits" or "ec_bits" (bulk surfaces name the column).
struct DeviceChangeProblem {
  std::string field;
  Error error;
};

class AdminService {
 public:
  AdminService(Registry& registry, TrustStores& trust, const Clock& clock, AdminPolicy policy)
      : registry_(registry), trust_(trust), clock_(clock), policy_(policy) {}

  // Creates or changes a device. Validates every field (errors say what to type instead). Setting
  // an operation, its authentication or its deadline makes it Operation Pending again and unlocks
  // it (resets the wrong-string count); an operation without a deadline gets the default one.
  Result<DeviceChangeResult> set_device(const DeviceChange& change, const std::string& actor);
  // Applies one change (its `name` is ignored) to every named device, all or nothing: every name
  // and the change are checked first, then all devices are written in one transaction; the first
  // device that cannot take the change fails the whole call, with its name in the message. Each
  // device gets its own generated authentication string when asked for. At most kMaxBulkDevices.
  Result<std::vector<DeviceChangeResult>> set_devices(const std::vector<std::string>& names,
                                                      const DeviceChange& change,
                                                      const std::string& actor);
  static constexpr std::size_t kMaxBulkDevices = 1000;
  // Checks `change` exactly as set_device would, against the device as stored now, and writes
  // nothing: nullopt when set_device would accept it. Errors only when the registry cannot be read.
  Result<std::optional<DeviceChangeProblem>> check_device(const DeviceChange& change);
  Result<Device> get_device(std::string_view name);
  Result<std::vector<Device>> list_devices(const DeviceFilter& filter);
  Result<std::int64_t> count_devices(const DeviceFilter& filter);
  Status remove_device(std::string_view name, const std::string& actor);
  Result<std::vector<DeviceEvent>> device_history(std::string_view name, std::size_t limit);
  // How the most recent phone sessions ended, across every device, newest first.
  Result<std::vector<DeviceEvent>> recent_sessions(std::size_t limit);
  Result<std::vector<IssuedCertificate>> device_certificates(std::string_view name);
  // The device's certificate requests to external CAs, oldest first.
  Result<std::vector<CertificateRequestRecord>> device_requests(std::string_view name);

  // Adds every certificate of a PEM bundle or one DER certificate; returns how many.
  Result<int> trust_add(std::string_view store, ByteView certificate_bytes,
                        const std::string& label, const std::string& actor);
  Status trust_remove(std::string_view store, std::string_view fingerprint,
                      const std::string& actor);
  Result<std::vector<TrustEntry>> trust_list(std::string_view store);

  // A random authentication string of `digits` digits (4..10).
  static std::string generate_auth_string(int digits = 8);

 private:
  // The device set_device would store for `change` over `existing` (result.device; not yet
  // written), or the problem that refuses the change. The one place the rules live.
  std::variant<DeviceChangeResult, DeviceChangeProblem> plan_change(
      const DeviceChange& change, const DeviceName& name, const std::optional<Device>& existing,
      TimePoint now) const;
  Status audit(const std::string& device, const std::string& actor, const std::string& detail);
  // Appends to the audit log (before/after: JSON text, "" when absent).
  Status record_change(const std::string& action, const std::string& target,
                       const std::string& actor, std::string before, std::string after);
  // Reads, changes and writes one device; call inside registry_.transact().
  Result<DeviceChangeResult> apply_change(const DeviceName& name, const DeviceChange& change,
                                          const std::string& actor);

  Registry& registry_;
  TrustStores& trust_;
  const Clock& clock_;
  AdminPolicy policy_;
};

}  // namespace capf
