// A registry for the drivers whose parsers write what they read (CSV import, REST bodies, offline
// import): one SQLite file per fuzzing process, and each input run inside a transaction that is
// rolled back, so every input meets the same registry and a crash reproduces from its input alone.
#pragma once

#include <functional>
#include <memory>

#include "capf/common/clock.h"
#include "capf/service/admin_service.h"
#include "capf/store/sqlite/sqlite_registry.h"
#include "capf/trust/trust_stores.h"
#include "fuzz/fuzz_util.h"

namespace capf::fuzz {

// 2026-06-01: the drivers' certificates and deadlines are judged at a fixed time.
inline const FakeClock& fixed_clock() {
  static const FakeClock clock(TimePoint(std::chrono::seconds(1'780'272'000)));
  return clock;
}

// The process's registry, made on first use; `seed` fills it once (devices, tokens) and must
// succeed.
inline SqliteRegistry& shared_registry(const std::function<Status(SqliteRegistry&)>& seed) {
  static std::unique_ptr<SqliteRegistry> registry = [&] {
    auto opened = SqliteRegistry::open((scratch_dir() / "registry.db").string(), fixed_clock(),
                                       SqliteOptions{false, 5000});
    require(opened.has_value(), "the scratch registry opens");
    require(seed(**opened).has_value(), "the scratch registry is seeded");
    return std::move(opened).value();
  }();
  return *registry;
}

// Two devices for the inputs to find, change or leave unchanged: one with a pending install by
// authentication string, one created with the defaults.
inline Status seed_devices(Registry& registry) {
  TrustStores trust(registry);
  AdminService admin(registry, trust, fixed_clock(), AdminPolicy{});
  DeviceChange install;
  install.name = "SEP001122334455";
  install.operation = Operation::kInstall;
  install.auth_mode = AuthMode::kAuthString;
  install.auth_string = "123456";
  install.description = "lobby, first floor";
  CAPF_TRY(admin.set_device(install, "fuzz"));
  DeviceChange plain;
  plain.name = "CSFJDOE";
  CAPF_TRY(admin.set_device(plain, "fuzz"));
  return ok();
}

// Runs `fn` in a registry transaction and rolls everything it wrote back. The registry nests the
// transactions the code under test opens as savepoints inside this one.
inline void rolled_back(Registry& registry, const std::function<void()>& fn) {
  Status s = registry.transact([&]() -> Status {
    fn();
    return make_error(ErrorCode::kConflict, "fuzz input rolled back");
  });
  require(!s.has_value(), "the input's transaction is rolled back");
}

}  // namespace capf::fuzz
