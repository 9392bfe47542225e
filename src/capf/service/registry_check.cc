#include "capf/service/registry_check.h"

#include <limits>
#include <map>
#include <utility>

#include <fmt/format.h>

namespace capf {
namespace {

constexpr std::size_t kAll = std::numeric_limits<std::size_t>::max();

struct Snapshot {
  std::map<std::string, Device> devices;
  std::map<std::string, std::vector<IssuedCertificate>> installed;  // by device name
  std::map<std::string, IssuedCertificate> delivered_certs;         // by serial, for requests
  std::vector<CertificateRequestRecord> requests;
};

Status read_snapshot(Registry& registry, Snapshot& snap) {
  DeviceFilter page;
  page.limit = 1000;
  for (;;) {
    CAPF_ASSIGN_OR_RETURN(std::vector<Device> devices, registry.list_devices(page));
    for (Device& d : devices)
      snap.devices.emplace(d.name.str(), std::move(d));
    if (devices.size() < page.limit)
      break;
    page.after_name = snap.devices.rbegin()->first;
  }
  CertificateFilter installed;
  installed.state = CertificateState::kInstalled;
  installed.limit = kAll;
  CAPF_ASSIGN_OR_RETURN(std::vector<IssuedCertificate> certs,
                        registry.list_certificates(installed));
  for (IssuedCertificate& c : certs)
    snap.installed[c.device_name].push_back(std::move(c));
  RequestFilter requests;
  requests.limit = kAll;
  CAPF_ASSIGN_OR_RETURN(snap.requests, registry.list_requests(requests));
  for (const CertificateRequestRecord& r : snap.requests) {
    if (r.state != RequestState::kDelivered || r.certificate_serial.empty())
      continue;
    CAPF_ASSIGN_OR_RETURN(std::optional<IssuedCertificate> c,
                          registry.find_certificate(r.certificate_serial));
    if (c)
      snap.delivered_certs.emplace(c->serial_hex, std::move(*c));
  }
  return ok();
}

void check_device(const Device& device, const std::vector<IssuedCertificate>& installed,
                  std::vector<RegistryProblem>& out) {
  const std::string& name = device.name.str();
  const std::string current = device.lsc ? device.lsc->serial_hex : "";
  bool current_installed = false;
  for (const IssuedCertificate& c : installed)
    current_installed = current_installed || c.serial_hex == current;
  if (installed.size() > 1) {
    std::string serials;
    for (const IssuedCertificate& c : installed)
      serials += (serials.empty() ? "" : ", ") + c.serial_hex;
    out.push_back({"several-installed", name, current,
                   fmt::format("{} LSCs are marked installed ({}); a device holds one",
                               installed.size(), serials)});
  }
  for (const IssuedCertificate& c : installed) {
    if (c.serial_hex != current) {
      if (current_installed) {
        out.push_back({"replaced-not-revoked", name, c.serial_hex,
                       fmt::format("LSC {} was replaced by {} but is not revoked: revoke it with "
                                   "`opencapf cert revoke {} --reason superseded`",
                                   c.serial_hex, current, c.serial_hex)});
      } else {
        out.push_back({"installed-not-current", name, c.serial_hex,
                       fmt::format("the ledger shows LSC {} installed, but the device shows {}",
                                   c.serial_hex, current.empty() ? "no LSC" : "LSC " + current)});
      }
    }
    if (device.status.kind == StatusKind::kPending && device.status_time < c.state_time) {
      out.push_back({"pending-after-install", name, c.serial_hex,
                     fmt::format("LSC {} was confirmed installed at {}, but the device still says "
                                 "{} since {}",
                                 c.serial_hex, format_utc(c.state_time), to_string(device.status),
                                 format_utc(device.status_time))});
    }
  }
  if (device.status.kind == StatusKind::kPending && device.operation == Operation::kNone) {
    out.push_back({"pending-without-operation", name, "",
                   fmt::format("the device says {} but has no operation: its operation was lost; "
                               "set it again with `opencapf device set {} --op ...`",
                               to_string(device.status), name)});
  }
}

void check_requests(const Snapshot& snap, std::vector<RegistryProblem>& out) {
  std::map<std::string, std::vector<std::string>> open;
  for (const CertificateRequestRecord& r : snap.requests) {
    if (r.state == RequestState::kWaiting || r.state == RequestState::kReady)
      open[r.device_name].push_back(r.id);
    if (r.state == RequestState::kReady &&
        (r.certificate_pem.empty() || r.certificate_serial.empty())) {
      out.push_back({"request", r.device_name, r.certificate_serial,
                     fmt::format("request {} is ready but holds no certificate: cancel it so the "
                                 "phone's next contact starts a new one",
                                 r.id)});
    }
    if (r.state == RequestState::kDelivered) {
      auto c = snap.delivered_certs.find(r.certificate_serial);
      bool recorded =
          c != snap.delivered_certs.end() && (c->second.state == CertificateState::kInstalled ||
                                              c->second.state == CertificateState::kRevoked);
      if (!recorded) {
        out.push_back(
            {"request", r.device_name, r.certificate_serial,
             fmt::format("request {} was delivered, but the ledger does not show its "
                         "certificate {} installed",
                         r.id, r.certificate_serial.empty() ? "(none)" : r.certificate_serial)});
      }
    }
  }
  for (const auto& [device, ids] : open) {
    if (ids.size() < 2)
      continue;
    std::string list;
    for (const std::string& id : ids)
      list += (list.empty() ? "" : ", ") + id;
    out.push_back(
        {"request", device, "",
         fmt::format("{} requests are open ({}); only the newest should be", ids.size(), list)});
  }
}

}  // namespace

Result<RegistryCheckReport> check_registry(Registry& registry) {
  RegistryCheckReport report;
  CAPF_ASSIGN_OR_RETURN(std::vector<std::string> damage, registry.integrity_problems());
  for (std::string& line : damage) {
    report.problems.push_back(
        {"integrity", "", "",
         line + " (restore the last good backup; see docs/troubleshooting.md)"});
  }
  Snapshot snap;
  CAPF_TRY(registry.read_snapshot([&] { return read_snapshot(registry, snap); }));
  report.devices = static_cast<std::int64_t>(snap.devices.size());
  report.requests = static_cast<std::int64_t>(snap.requests.size());
  for (const auto& [device_name, certs] : snap.installed) {
    report.installed += static_cast<std::int64_t>(certs.size());
    auto device = snap.devices.find(device_name);
    if (device != snap.devices.end())
      check_device(device->second, certs, report.problems);
    // (A removed device keeps its ledger rows: they are history, not a broken promise.)
  }
  for (const auto& [name, device] : snap.devices) {
    if (!snap.installed.contains(name))
      check_device(device, {}, report.problems);
  }
  check_requests(snap, report.problems);
  return report;
}

}  // namespace capf
