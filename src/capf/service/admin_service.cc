#include "capf/service/admin_service.h"

#include <sys/random.h>

#include <algorithm>
#include <functional>

#include <fmt/format.h>

#include "capf/common/utf8.h"
#include "capf/pki/certificate.h"
#include "capf/service/audit_trail.h"
#include "capf/service/device_json.h"

namespace capf {

namespace {

// Runs `body` in one transaction of `registry`, again while another writer makes it fail with
// kConflict or kAlreadyExists (5 attempts in all); `gave_up` when every attempt did.
Status transact_retrying(Registry& registry, const std::function<Status()>& body, Error gave_up) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    Status written = registry.transact(body);
    if (written || (written.error().code != ErrorCode::kConflict &&
                    written.error().code != ErrorCode::kAlreadyExists)) {
      return written;
    }
  }
  return gave_up;
}

// A field of a DeviceChange overwrites the device's only when the change names it.
template <typename Field, typename T>
void set_if_given(Field& field, const std::optional<T>& given) {
  if (given)
    field = *given;
}

// Descriptions are shown in the console, exported to CSV and sent as JSON: text, not bytes.
Status validate_description(std::string_view text) {
  if (!is_valid_utf8(text))
    return make_error(ErrorCode::kInvalidArgument, "the description is not valid UTF-8 text");
  if (text.size() > 512)
    return make_error(ErrorCode::kInvalidArgument,
                      "the description is {} bytes long: at most 512 are allowed", text.size());
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F)
      return make_error(ErrorCode::kInvalidArgument,
                        "the description contains a control character (code {}): use printable "
                        "text (tabs and line breaks are allowed)",
                        static_cast<int>(c));
  }
  return {};
}

Status validate_auth_string(const std::string& s) {
  if (s.size() < 4 || s.size() > 10 ||
      !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return make_error(ErrorCode::kInvalidArgument,
                      "authentication string must be 4 to 10 digits (got {} characters{}): use "
                      "e.g. --auth-string 482915 or --generate-auth-string",
                      s.size(),
                      std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })
                          ? ""
                          : ", not all digits");
  }
  return ok();
}

std::string describe_change(const DeviceChange& c, const std::optional<std::string>& generated) {
  std::vector<std::string> parts;
  if (c.operation)
    parts.push_back(fmt::format("operation {}", short_name(*c.operation)));
  if (c.auth_mode)
    parts.push_back(fmt::format("auth {}", short_name(*c.auth_mode)));
  if (c.auth_string)
    parts.push_back("authentication string set");
  if (generated)
    parts.push_back("authentication string generated");
  if (c.key_order)
    parts.push_back(fmt::format("key order {}", short_name(*c.key_order)));
  if (c.rsa_bits)
    parts.push_back(fmt::format("rsa {}", *c.rsa_bits));
  if (c.ec_bits)
    parts.push_back(fmt::format("ec {}", *c.ec_bits));
  if (c.deadline) {
    parts.push_back(*c.deadline ? fmt::format("deadline {}", format_utc(**c.deadline))
                                : std::string("no deadline"));
  }
  if (c.description)
    parts.push_back("description");
  std::string out;
  for (const auto& p : parts)
    out += (out.empty() ? "" : ", ") + p;
  return out.empty() ? "no change" : out;
}

}  // namespace

std::string AdminService::generate_auth_string(int digits) {
  digits = std::clamp(digits, 4, 10);
  std::string out;
  while (static_cast<int>(out.size()) < digits) {
    unsigned char b = 0;
    if (getrandom(&b, 1, 0) != 1)
      continue;
    if (b >= 250)
      continue;  // keep the digits uniform
    out.push_back(static_cast<char>('0' + b % 10));
  }
  return out;
}

Status AdminService::audit(const std::string& device, const std::string& actor,
                           const std::string& detail) {
  return registry_.append_event(
      DeviceEvent{device, clock_.now(), "", "admin", fmt::format("{}: {}", actor, detail)});
}

std::variant<DeviceChangeResult, DeviceChangeProblem> AdminService::plan_change(
    const DeviceChange& change, const DeviceName& name, const std::optional<Device>& existing,
    TimePoint now) const {
  if (change.auth_string && change.generate_auth_string) {
    return DeviceChangeProblem{
        "generate_auth_string",
        make_error(ErrorCode::kInvalidArgument,
                   "give either --auth-string or --generate-auth-string, not both")};
  }
  if (change.auth_string) {
    if (Status s = validate_auth_string(*change.auth_string); !s)
      return DeviceChangeProblem{"auth_string", s.error()};
  }
  if (change.rsa_bits && !is_valid_rsa_bits(*change.rsa_bits, policy_.allow_rsa_512)) {
    return DeviceChangeProblem{
        "rsa_bits",
        make_error(ErrorCode::kInvalidArgument,
                   "RSA key size {} is not supported: use 1024, 2048, 3072 or 4096{}",
                   *change.rsa_bits,
                   policy_.allow_rsa_512 ? " (or 512)" : " (512 needs allow_rsa_512 = true)")};
  }
  if (change.description) {
    if (Status s = validate_description(*change.description); !s)
      return DeviceChangeProblem{"description", s.error()};
  }
  if (change.ec_bits && !is_valid_ec_bits(*change.ec_bits)) {
    return DeviceChangeProblem{
        "ec_bits",
        make_error(ErrorCode::kInvalidArgument,
                   "EC key size {} is not supported: use 256, 384 or 521", *change.ec_bits)};
  }

  DeviceChangeResult result;
  Device d;
  if (existing) {
    d = *existing;
  } else {
    d.name = name;
  }
  result.created = !existing;
  if (result.created) {
    d.status = OperationStatus::none();
    d.status_time = now;
  }
  bool operation_touched = change.operation || change.auth_mode || change.auth_string ||
                           change.generate_auth_string || change.deadline || change.key_order ||
                           change.rsa_bits || change.ec_bits;
  set_if_given(d.operation, change.operation);
  set_if_given(d.auth_mode, change.auth_mode);
  set_if_given(d.auth_string, change.auth_string);
  if (change.generate_auth_string) {
    result.generated_auth_string = generate_auth_string();
    d.auth_string = result.generated_auth_string;
  }
  set_if_given(d.key_order, change.key_order);
  set_if_given(d.rsa_bits, change.rsa_bits);
  set_if_given(d.ec_bits, change.ec_bits);
  set_if_given(d.description, change.description);
  if (change.deadline) {
    d.deadline = *change.deadline;
  } else if (change.operation && *change.operation != Operation::kNone &&
             (!existing || existing->operation != *change.operation || !d.deadline ||
              *d.deadline < now) &&
             policy_.default_deadline_days > 0) {
    d.deadline = now + std::chrono::hours(24) * policy_.default_deadline_days;
  }

  if (d.operation != Operation::kNone && d.auth_mode == AuthMode::kAuthString &&
      (!d.auth_string || d.auth_string->empty())) {
    return DeviceChangeProblem{
        "auth_string", make_error(ErrorCode::kInvalidArgument,
                                  "{} authenticates by authentication string but has none: add "
                                  "--auth-string DIGITS or --generate-auth-string",
                                  name.str())};
  }
  if (d.operation == Operation::kInstall && d.key_order != KeyOrder::kRsaOnly &&
      name.str().rfind("CSF", 0) == 0 && d.key_order == KeyOrder::kEcOnly) {
    result.warnings.push_back(
        "Jabber clients do not support EC Only: use --key-order rsa or ec-rsa");
  }
  if (d.deadline && *d.deadline < now && d.operation != Operation::kNone) {
    result.warnings.push_back(
        fmt::format("the deadline {} is already past: the phone's next contact will fail as late",
                    format_utc(*d.deadline)));
  }
  if (operation_touched) {
    d.auth_failures = 0;
    if (d.operation != Operation::kNone) {
      d.status = OperationStatus::pending();
      d.status_time = now;
      d.status_detail.clear();
    } else if (d.status.kind == StatusKind::kPending) {
      d.status = OperationStatus::none();
      d.status_time = now;
      d.status_detail.clear();
    }
  }
  result.device = std::move(d);
  return result;
}

Result<std::optional<DeviceChangeProblem>> AdminService::check_device(const DeviceChange& change) {
  auto name = DeviceName::parse(change.name);
  if (!name)
    return std::optional<DeviceChangeProblem>(DeviceChangeProblem{"name", name.error()});
  CAPF_ASSIGN_OR_RETURN(std::optional<Device> existing, registry_.find_device(*name));
  auto planned = plan_change(change, *name, existing, clock_.now());
  if (auto* problem = std::get_if<DeviceChangeProblem>(&planned))
    return std::optional<DeviceChangeProblem>(std::move(*problem));
  return std::optional<DeviceChangeProblem>();
}

Result<DeviceChangeResult> AdminService::apply_change(const DeviceName& name,
                                                      const DeviceChange& change,
                                                      const std::string& actor) {
  CAPF_ASSIGN_OR_RETURN(std::optional<Device> existing, registry_.find_device(name));
  auto planned = plan_change(change, name, existing, clock_.now());
  if (auto* problem = std::get_if<DeviceChangeProblem>(&planned))
    return problem->error;
  DeviceChangeResult result = std::move(std::get<DeviceChangeResult>(planned));

  std::string detail = describe_change(change, result.generated_auth_string);
  // Setting install/upgrade again starts over: a request still open at an external CA is
  // superseded (a certificate signed for it later is imported as stale), and the phone's next
  // contact makes a new key.
  const bool start_over = change.operation == Operation::kInstall && !result.created;
  if (start_over) {
    CAPF_ASSIGN_OR_RETURN(std::optional<CertificateRequestRecord> open,
                          registry_.open_request(name.str()));
    if (open) {
      open->state = RequestState::kSuperseded;
      open->last_error = "superseded: an administrator set the operation again";
      CAPF_TRY(registry_.update_request(*open));
    }
  }
  if (result.created) {
    CAPF_ASSIGN_OR_RETURN(result.device, registry_.insert_device(result.device));
  } else {
    CAPF_ASSIGN_OR_RETURN(result.device, registry_.update_device(result.device));
  }
  CAPF_TRY(audit(name.str(), actor, (result.created ? "created; " : "") + detail));
  CAPF_TRY(record_change("device.set", name.str(), actor,
                         existing ? to_json(*existing).dump() : std::string(),
                         to_json(result.device).dump()));
  return result;
}

Result<DeviceChangeResult> AdminService::set_device(const DeviceChange& change,
                                                    const std::string& actor) {
  CAPF_ASSIGN_OR_RETURN(DeviceName name, DeviceName::parse(change.name));
  DeviceChangeResult result;
  CAPF_TRY(transact_retrying(
      registry_,
      [&]() -> Status {
        CAPF_ASSIGN_OR_RETURN(result, apply_change(name, change, actor));
        return ok();
      },
      make_error(ErrorCode::kConflict, "{} kept changing while it was being set: try again",
                 name.str())));
  return result;
}

Result<std::vector<DeviceChangeResult>> AdminService::set_devices(
    const std::vector<std::string>& names, const DeviceChange& change, const std::string& actor) {
  if (names.empty() || names.size() > kMaxBulkDevices) {
    return make_error(ErrorCode::kInvalidArgument,
                      "a bulk change takes 1 to {} device names (got {}): split the list",
                      kMaxBulkDevices, names.size());
  }
  std::vector<DeviceName> parsed;
  parsed.reserve(names.size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    auto name = DeviceName::parse(names[i]);
    if (!name) {
      return name.error().with_context(fmt::format("device {} ('{}')", i + 1, names[i]));
    }
    for (const DeviceName& seen : parsed) {
      if (seen.str() == name->str()) {
        return make_error(ErrorCode::kInvalidArgument,
                          "device {} ('{}') is listed twice: give each device once", i + 1,
                          names[i]);
      }
    }
    parsed.push_back(*name);
  }
  std::vector<DeviceChangeResult> results;
  CAPF_TRY(transact_retrying(
      registry_,
      [&]() -> Status {
        results.clear();  // of an attempt that conflicted
        for (const DeviceName& name : parsed) {
          auto one = apply_change(name, change, actor);
          if (!one) {
            return one.error().with_context(name.str());
          }
          results.push_back(std::move(one).value());
        }
        return ok();
      },
      make_error(ErrorCode::kConflict,
                 "the devices kept changing while the bulk change ran: try again")));
  return results;
}

Status AdminService::record_change(const std::string& action, const std::string& target,
                                   const std::string& actor, std::string before,
                                   std::string after) {
  return record_audit(registry_, actor, action, target, std::move(before), std::move(after));
}

Result<Device> AdminService::get_device(std::string_view name) {
  CAPF_ASSIGN_OR_RETURN(DeviceName n, DeviceName::parse_stored(name));
  CAPF_ASSIGN_OR_RETURN(std::optional<Device> d, registry_.find_device(n));
  if (!d) {
    return make_error(ErrorCode::kNotFound, "no device {}: list them with `opencapf device list`",
                      n.str());
  }
  return *d;
}

Result<std::vector<Device>> AdminService::list_devices(const DeviceFilter& filter) {
  return registry_.list_devices(filter);
}

Result<std::int64_t> AdminService::count_devices(const DeviceFilter& filter) {
  return registry_.count_devices(filter);
}

Status AdminService::remove_device(std::string_view name, const std::string& actor) {
  CAPF_ASSIGN_OR_RETURN(DeviceName n, DeviceName::parse_stored(name));
  return registry_.transact([&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(std::optional<Device> before, registry_.find_device(n));
    Status removed = registry_.remove_device(n);
    if (!removed) {
      if (removed.error().code == ErrorCode::kNotFound) {
        return make_error(ErrorCode::kNotFound, "no device {}: nothing removed", n.str());
      }
      return removed;
    }
    CAPF_TRY(audit(n.str(), actor, "removed"));
    return record_change("device.remove", n.str(), actor,
                         before ? to_json(*before).dump() : std::string(), std::string());
  });
}

Result<std::vector<DeviceEvent>> AdminService::device_history(std::string_view name,
                                                              std::size_t limit) {
  CAPF_ASSIGN_OR_RETURN(DeviceName n, DeviceName::parse_stored(name));
  return registry_.device_events(n.str(), limit);
}

Result<std::vector<DeviceEvent>> AdminService::recent_sessions(std::size_t limit) {
  return registry_.recent_session_events(limit);
}

Result<std::vector<IssuedCertificate>> AdminService::device_certificates(std::string_view name) {
  CAPF_ASSIGN_OR_RETURN(DeviceName n, DeviceName::parse_stored(name));
  CertificateFilter f;
  f.device_name = n.str();
  return registry_.list_certificates(f);
}

Result<std::vector<CertificateRequestRecord>> AdminService::device_requests(std::string_view name) {
  CAPF_ASSIGN_OR_RETURN(DeviceName n, DeviceName::parse_stored(name));
  RequestFilter f;
  f.device_name = n.str();
  return registry_.list_requests(f);
}

Result<int> AdminService::trust_add(std::string_view store, ByteView certificate_bytes,
                                    const std::string& label, const std::string& actor) {
  CAPF_ASSIGN_OR_RETURN(std::string canonical, canonical_store_name(store));
  std::string text = to_string(certificate_bytes);
  int added = 0;
  if (text.find("-----BEGIN") != std::string::npos) {
    CAPF_ASSIGN_OR_RETURN(added, trust_.add_pem_bundle(canonical, text, label));
  } else {
    auto cert = pki::Certificate::from_der(certificate_bytes);
    if (!cert) {
      return make_error(ErrorCode::kInvalidArgument,
                        "{} is neither a PEM nor a DER certificate: {}", label,
                        cert.error().message);
    }
    CAPF_TRY(trust_.add(canonical, *cert, label));
    added = 1;
  }
  CAPF_TRY(record_change(
      "trust.add", canonical, actor, std::string(),
      nlohmann::json{{"store", canonical}, {"label", label}, {"added", added}}.dump()));
  return added;
}

Status AdminService::trust_remove(std::string_view store, std::string_view fingerprint,
                                  const std::string& actor) {
  CAPF_ASSIGN_OR_RETURN(std::string canonical, canonical_store_name(store));
  // The entry as it was, for the audit log: the one whose fingerprint starts with the given
  // prefix (the store itself decides whether the prefix is unique).
  std::string before;
  if (auto entries = trust_.list(canonical)) {
    const std::string prefix = pki::fingerprint_prefix(fingerprint);
    for (const TrustEntry& e : *entries) {
      if (!prefix.empty() && e.fingerprint.rfind(prefix, 0) == 0) {
        nlohmann::json j = to_json(e);
        j.erase("pem");
        before = j.dump();
        break;
      }
    }
  }
  CAPF_TRY(trust_.remove(canonical, std::string(fingerprint)));
  return record_change("trust.remove", canonical, actor, before, std::string());
}

Result<std::vector<TrustEntry>> AdminService::trust_list(std::string_view store) {
  CAPF_ASSIGN_OR_RETURN(std::string canonical, canonical_store_name(store));
  return trust_.list(canonical);
}

}  // namespace capf
