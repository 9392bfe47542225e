// check_registry: what `opencapf store check` verifies. The phone flows promise that a confirmed
// install changes the ledger, the device and the LSC it replaces together; this finds the rows
// where that promise is broken (a crash of an older build, a restore of mixed backups, a hand
// edit), and the database's own damage. It only reads, over one consistent snapshot, so it runs
// against a stopped registry or beside a running server.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capf/common/result.h"
#include "capf/store/device_store.h"

namespace capf {

struct RegistryProblem {
  // "integrity"              the database engine found damage (detail says where)
  // "replaced-not-revoked"   an LSC the device replaced is still marked installed
  // "installed-not-current"  the ledger shows an LSC installed that the device does not show
  // "several-installed"      a device has more than one LSC marked installed
  // "pending-after-install"  the device still says Operation Pending after its install confirmed
  // "pending-without-operation"  the device says Operation Pending but has no operation to run
  // "request"                a certificate request in an impossible state
  std::string kind;
  std::string device;  // "" for integrity problems
  std::string serial;  // the certificate concerned, if any
  std::string detail;  // what is wrong and what to do, in words
};

struct RegistryCheckReport {
  std::int64_t devices = 0;
  std::int64_t installed = 0;  // certificates marked installed
  std::int64_t requests = 0;
  std::vector<RegistryProblem> problems;
  bool ok() const { return problems.empty(); }
};

// Errors only when the registry cannot be read; what is wrong in it goes into the report.
Result<RegistryCheckReport> check_registry(Registry& registry);

}  // namespace capf
