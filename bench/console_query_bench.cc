// The console's common registry queries against 100,000 devices: seeds a fresh SQLite registry in
// a temporary directory with a realistic mix (statuses, operations, authentication modes, ~70% of
// devices holding an LSC expiring within two years), then times each query many times and prints
// the median and p99. Usage: console_query_bench [--devices N] [--runs N] [--keep DIR]
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "capf/service/capf_reports.h"
#include "capf/store/sqlite/sqlite_registry.h"

namespace capf {
namespace {

using Steady = std::chrono::steady_clock;

std::string machine() {
  std::ifstream in("/proc/cpuinfo");
  std::string line, model;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return model + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores";
}

// A device of the mix; `i` picks everything deterministically.
Device make_device(int i, std::mt19937& rng, TimePoint now) {
  Device d;
  // 85% phones, the rest Jabber clients.
  const std::string name =
      i % 100 < 85 ? fmt::format("SEP{:012X}", i) : fmt::format("CSFUSER{:07d}", i);
  d.name = *DeviceName::parse(name);
  const int roll = static_cast<int>(rng() % 100);
  // Most devices are idle after a successful install; some have work pending or failed.
  if (roll < 60) {
    d.operation = Operation::kNone;
    d.status = OperationStatus::success(Operation::kInstall);
  } else if (roll < 75) {
    d.operation = Operation::kNone;
    d.status = OperationStatus::none();
  } else if (roll < 90) {
    d.operation = Operation::kInstall;
    d.status = OperationStatus::pending();
    d.deadline = now + std::chrono::hours(24 * 10);
  } else if (roll < 95) {
    d.operation = Operation::kInstall;
    d.status = OperationStatus::failed(Operation::kInstall, FailureReason::kInvalidAuthString);
  } else if (roll < 98) {
    d.operation = Operation::kTroubleshoot;
    d.status = OperationStatus::pending();
  } else {
    d.operation = Operation::kDelete;
    d.status = OperationStatus::pending();
  }
  const int auth = static_cast<int>(rng() % 10);
  d.auth_mode = auth < 4   ? AuthMode::kAuthString
                : auth < 6 ? AuthMode::kNullString
                : auth < 9 ? AuthMode::kLscFirst
                           : AuthMode::kMicFirst;
  if (d.auth_mode == AuthMode::kAuthString)
    d.auth_string = fmt::format("{:08d}", rng() % 100000000);
  d.key_order = rng() % 4 == 0 ? KeyOrder::kEcPreferredRsaBackup : KeyOrder::kRsaOnly;
  d.status_time = now - std::chrono::seconds(rng() % (86400 * 365));
  if (rng() % 100 < 70) {
    // Expiries spread over two years from a month ago.
    const auto offset = std::chrono::seconds(static_cast<long>(rng() % (86400L * 730))) -
                        std::chrono::hours(24 * 30);
    d.lsc = LscInfo{fmt::format("{:032x}", (static_cast<unsigned long long>(rng()) << 32) | rng()),
                    "CN=CAPF-bench,O=Example,OU=Voice", now + offset};
  }
  d.description = i % 7 == 0 ? fmt::format("floor {}, desk {}", i % 40, i % 97) : "";
  return d;
}

struct Timing {
  std::string query;
  double median_ms = 0, p99_ms = 0;
  std::string result;
};

Timing measure(const std::string& query, int runs, const std::function<std::string()>& fn) {
  std::vector<double> ms;
  std::string result;
  for (int r = 0; r < runs; ++r) {
    const auto start = Steady::now();
    result = fn();
    ms.push_back(std::chrono::duration<double, std::milli>(Steady::now() - start).count());
  }
  std::sort(ms.begin(), ms.end());
  const auto at = [&](double q) {
    return ms[std::min(ms.size() - 1,
                       static_cast<std::size_t>(q * static_cast<double>(ms.size())))];
  };
  return Timing{query, at(0.5), at(0.99), result};
}

int run(int devices, int runs, const std::string& keep) {
  std::filesystem::path dir;
  if (keep.empty()) {
    std::string pattern = (std::filesystem::temp_directory_path() / "capf-bench-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::fprintf(stderr, "console_query_bench: cannot make a temporary directory\n");
      return 1;
    }
    dir = pattern;
  } else {
    dir = keep;
    std::filesystem::create_directories(dir);
    std::filesystem::remove(dir / "registry.db");
  }
  SystemClock clock;
  int rc = 0;
  {
    auto opened = SqliteRegistry::open((dir / "registry.db").string(), clock);
    if (!opened) {
      std::fprintf(stderr, "console_query_bench: %s\n", opened.error().message.c_str());
      return 1;
    }
    SqliteRegistry& registry = **opened;
    const TimePoint now = clock.now();
    std::mt19937 rng(20261204);

    // Seed in transactions of 5,000 devices.
    const auto seed_start = Steady::now();
    constexpr int kBatch = 5000;
    for (int first = 0; first < devices; first += kBatch) {
      Status s = registry.transact([&]() -> Status {
        for (int i = first; i < std::min(devices, first + kBatch); ++i) {
          auto inserted = registry.insert_device(make_device(i, rng, now));
          if (!inserted)
            return inserted.error();
        }
        return ok();
      });
      if (!s) {
        std::fprintf(stderr, "console_query_bench: seeding: %s\n", s.error().message.c_str());
        return 1;
      }
    }
    const double seed_s = std::chrono::duration<double>(Steady::now() - seed_start).count();

    const auto list = [&registry](const DeviceFilter& f) {
      auto page = registry.list_devices(f);
      return page ? std::to_string(page->size()) + " rows" : page.error().message;
    };
    const auto count = [&registry](const DeviceFilter& f) {
      auto n = registry.count_devices(f);
      return n ? std::to_string(*n) : n.error().message;
    };
    DeviceFilter first_page;
    first_page.limit = 50;
    DeviceFilter deep = first_page;
    deep.after_name = fmt::format("SEP{:012X}", devices * 9 / 10);
    DeviceFilter pending = first_page;
    pending.status_kind = StatusKind::kPending;
    DeviceFilter failed = first_page;
    failed.status_kind = StatusKind::kFailed;
    DeviceFilter install = first_page;
    install.operation = Operation::kInstall;
    DeviceFilter expiring = first_page;
    expiring.with_lsc_only = true;
    expiring.lsc_expires_before = now + std::chrono::hours(24 * 30);
    DeviceFilter prefix = first_page;
    prefix.name_prefix = "SEP0000000001";
    DeviceFilter csf = first_page;
    csf.name_prefix = "CSF";

    std::vector<Timing> t;
    t.push_back(measure("list: first page (50)", runs, [&] { return list(first_page); }));
    t.push_back(measure("list: page at 90% (keyset cursor)", runs, [&] { return list(deep); }));
    t.push_back(measure("count: all devices", runs, [&] { return count(DeviceFilter{}); }));
    t.push_back(measure("status pending: first page", runs, [&] { return list(pending); }));
    t.push_back(measure("status pending: count", runs, [&] { return count(pending); }));
    t.push_back(measure("status failed: first page", runs, [&] { return list(failed); }));
    t.push_back(measure("operation install: first page", runs, [&] { return list(install); }));
    t.push_back(measure("operation install: count", runs, [&] { return count(install); }));
    t.push_back(
        measure("LSC expiring in 30 days: first page", runs, [&] { return list(expiring); }));
    t.push_back(measure("LSC expiring in 30 days: count", runs, [&] { return count(expiring); }));
    t.push_back(
        measure("name prefix SEP0000000001: first page", runs, [&] { return list(prefix); }));
    t.push_back(measure("name prefix CSF: first page + count", runs,
                        [&] { return list(csf) + ", " + count(csf); }));
    CapfReports reports(registry, clock);
    const int report_runs = std::max(3, runs / 10);
    t.push_back(measure("expiring report, 30 days (CSV)", report_runs, [&] {
      auto text = reports.expiring_report_text(30);
      return text ? std::to_string(text->size()) + " bytes" : text.error().message;
    }));
    t.push_back(measure("CAPF report, every device (CSV)", report_runs, [&] {
      auto text = reports.capf_report_text();
      return text ? std::to_string(text->size()) + " bytes" : text.error().message;
    }));

    std::printf("console queries: %d devices, SQLite registry in %s\n", devices, dir.c_str());
    std::printf("machine: %s\n", machine().c_str());
    std::printf("seeding: %.1f s (%.0f devices/s, batches of %d per transaction)\n\n", seed_s,
                devices / seed_s, kBatch);
    std::printf("%-42s %6s %10s %10s  %s\n", "query", "runs", "median ms", "p99 ms", "result");
    for (const Timing& x : t) {
      const bool report = x.query.find("report") != std::string::npos;
      std::printf("%-42s %6d %10.2f %10.2f  %s%s\n", x.query.c_str(), report ? report_runs : runs,
                  x.median_ms, x.p99_ms, x.result.c_str(),
                  !report && x.median_ms > 50 ? "  SLOW" : "");
      if (!report && x.median_ms > 50)
        rc = 2;
    }
  }
  if (keep.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  return rc;
}

}  // namespace
}  // namespace capf

int main(int argc, char** argv) {
  int devices = 100000, runs = 50;
  std::string keep;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--devices" && i + 1 < argc) {
      devices = std::atoi(argv[++i]);
    } else if (arg == "--runs" && i + 1 < argc) {
      runs = std::atoi(argv[++i]);
    } else if (arg == "--keep" && i + 1 < argc) {
      keep = argv[++i];
    } else {
      std::fprintf(stderr, "usage: console_query_bench [--devices N] [--runs N] [--keep DIR]\n");
      return 2;
    }
  }
  if (devices < 1 || runs < 1) {
    std::fprintf(stderr, "console_query_bench: --devices and --runs must be positive\n");
    return 2;
  }
  return capf::run(devices, runs, keep);
}
