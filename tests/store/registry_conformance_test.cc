// The registry conformance suite (see registry_conformance.h). Written against Registry only.
#include "tests/store/registry_conformance.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>

namespace capf::testing {

void RegistryConformance::SetUp() {
  backend_ = GetParam().make();
  // A backend that cannot start is a failure, never a skip.
  ASSERT_NE(backend_, nullptr) << GetParam().name << " could not be started";
  auto registry = backend_->open(clock_);
  ASSERT_TRUE(is_ok(registry));
  registry_ = std::move(registry).value();
}

std::unique_ptr<Registry> RegistryConformance::open_another() {
  auto registry = backend_->open(clock_);
  EXPECT_TRUE(is_ok(registry));
  return registry ? std::move(registry).value() : nullptr;
}

namespace {

constexpr std::int64_t kT0 = 1'750'000'000;  // the fake clock's start
constexpr std::int64_t kDay = 86'400;

DeviceName name_of(std::string_view text) {
  auto name = DeviceName::parse(text);
  if (!name) {
    ADD_FAILURE() << name.error().message;
    return *DeviceName::parse("SEP000000000000");
  }
  return *name;
}

std::string phone(int i) {
  return fmt::format("SEP{:012X}", i);
}

Device make_device(std::string_view name) {
  return blank_device(name_of(name));
}

Device full_device(std::string_view name) {
  Device d = make_device(name);
  d.operation = Operation::kInstall;
  d.auth_mode = AuthMode::kAuthString;
  d.auth_string = "0123456";
  d.key_order = KeyOrder::kEcPreferredRsaBackup;
  d.rsa_bits = 4096;
  d.ec_bits = 384;
  d.deadline = from_unix(kT0 + 10 * kDay);
  d.status = OperationStatus::failed(Operation::kInstall, FailureReason::kInvalidAuthString);
  d.status_time = from_unix(kT0 - 3600);
  d.status_detail = "phone sent 'x\"y'; caf\xc3\xa9";
  d.auth_failures = 3;
  d.lsc = LscInfo{"0a1b2c3d4e5f", "CN=CAPF-1a2b3c4d,O=Example", from_unix(kT0 + 365 * kDay)};
  d.description = "reception, building 2";
  return d;
}

void expect_same_device(const Device& a, const Device& b) {
  SCOPED_TRACE(a.name.str());
  EXPECT_EQ(a.status, b.status) << to_string(a.status) << " vs " << to_string(b.status);
  expect_same_members(a, b, &Device::name, &Device::operation, &Device::auth_mode,
                      &Device::auth_string, &Device::key_order, &Device::rsa_bits, &Device::ec_bits,
                      &Device::deadline, &Device::status_time, &Device::status_detail,
                      &Device::auth_failures, &Device::description);
  ASSERT_EQ(a.lsc.has_value(), b.lsc.has_value());
  if (a.lsc) {
    EXPECT_EQ(a.lsc->serial_hex, b.lsc->serial_hex);
    EXPECT_EQ(a.lsc->issuer, b.lsc->issuer);
    EXPECT_EQ(a.lsc->not_after, b.lsc->not_after);
  }
}

std::vector<std::string> names(const std::vector<Device>& devices) {
  std::vector<std::string> out;
  for (const Device& d : devices) {
    out.push_back(d.name.str());
  }
  return out;
}

IssuedCertificate make_cert(std::string serial, std::string device, std::int64_t issued_at,
                            std::int64_t not_after) {
  IssuedCertificate c;
  c.serial_hex = std::move(serial);
  c.device_name = std::move(device);
  c.issuer = "CN=CAPF-1a2b3c4d,O=Example";
  c.subject = "CN=" + c.device_name + ",O=Example";
  c.key_spec = "rsa:2048";
  c.not_before = from_unix(issued_at);
  c.not_after = from_unix(not_after);
  c.pem = "-----BEGIN CERTIFICATE-----\nMIIB" + c.serial_hex + "\n-----END CERTIFICATE-----\n";
  c.issued_at = from_unix(issued_at);
  c.state_time = from_unix(issued_at);
  c.session = "00c0ffee";
  return c;
}

std::vector<std::string> serials(const std::vector<IssuedCertificate>& certs) {
  std::vector<std::string> out;
  for (const auto& c : certs) {
    out.push_back(c.serial_hex);
  }
  return out;
}

// A 64-digit fingerprint starting with `head`.
std::string fingerprint(std::string_view head) {
  std::string fp(head);
  fp.resize(64, '0');
  return fp;
}

TrustEntry make_trust(std::string store, std::string_view head, std::string subject) {
  TrustEntry e;
  e.store = std::move(store);
  e.fingerprint = fingerprint(head);
  e.subject = std::move(subject);
  e.issuer = "CN=Issuer";
  e.not_after = from_unix(kT0 + 1000 * kDay);
  e.pem = "-----BEGIN CERTIFICATE-----\n" + e.fingerprint + "\n-----END CERTIFICATE-----\n";
  e.label = "test";
  return e;
}

// ---- devices ----

TEST_P(RegistryConformance, InsertsFindsAndRemovesDevices) {
  ASSERT_OK_AND_ASSIGN(Device stored, registry_->insert_device(full_device("SEP001122334455")));
  EXPECT_EQ(stored.version, 1);
  EXPECT_EQ(stored.created, clock_.now());
  EXPECT_EQ(stored.updated, clock_.now());
  expect_same_device(stored, full_device("SEP001122334455"));

  ASSERT_OK_AND_ASSIGN(auto found, registry_->find_device(name_of("SEP001122334455")));
  ASSERT_TRUE(found.has_value());
  expect_same_device(*found, stored);
  EXPECT_EQ(found->version, 1);
  EXPECT_EQ(found->created, stored.created);

  ASSERT_OK_AND_ASSIGN(auto missing, registry_->find_device(name_of("SEP00112233445F")));
  EXPECT_FALSE(missing.has_value());

  EXPECT_TRUE(is_ok(registry_->remove_device(name_of("SEP001122334455"))));
  ASSERT_OK_AND_ASSIGN(auto gone, registry_->find_device(name_of("SEP001122334455")));
  EXPECT_FALSE(gone.has_value());
  EXPECT_TRUE(is_error(registry_->remove_device(name_of("SEP001122334455")), ErrorCode::kNotFound));
}

TEST_P(RegistryConformance, InsertingATakenNameIsAlreadyExists) {
  ASSERT_TRUE(is_ok(registry_->insert_device(make_device("CSFalice"))));
  auto again = registry_->insert_device(full_device("CSFalice"));
  EXPECT_TRUE(is_error(again, ErrorCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(auto found, registry_->find_device(name_of("CSFalice")));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->operation, Operation::kNone);  // the first row is untouched
}

TEST_P(RegistryConformance, UpdateBumpsVersionAndKeepsCreated) {
  ASSERT_OK_AND_ASSIGN(Device d, registry_->insert_device(make_device("SEP0011223344AA")));
  const TimePoint created = d.created;
  clock_.advance(Seconds(90));
  d.operation = Operation::kDelete;
  d.status = OperationStatus::pending();
  ASSERT_OK_AND_ASSIGN(Device updated, registry_->update_device(d));
  EXPECT_EQ(updated.version, 2);
  EXPECT_EQ(updated.created, created);
  EXPECT_EQ(updated.updated, clock_.now());
  EXPECT_EQ(updated.operation, Operation::kDelete);

  ASSERT_OK_AND_ASSIGN(auto found, registry_->find_device(d.name));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->version, 2);
  expect_same_device(*found, updated);
}

TEST_P(RegistryConformance, UpdateWithStaleVersionIsConflict) {
  ASSERT_OK_AND_ASSIGN(Device first, registry_->insert_device(make_device("SEP0011223344BB")));
  Device second = first;
  first.description = "first writer";
  ASSERT_TRUE(is_ok(registry_->update_device(first)));
  second.description = "second writer";
  EXPECT_TRUE(is_error(registry_->update_device(second), ErrorCode::kConflict));
  ASSERT_OK_AND_ASSIGN(auto found, registry_->find_device(first.name));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->description, "first writer");
  EXPECT_EQ(found->version, 2);
}

TEST_P(RegistryConformance, UpdateOfMissingDeviceIsNotFound) {
  Device d = make_device("SEP0011223344CC");
  d.version = 1;
  EXPECT_TRUE(is_error(registry_->update_device(d), ErrorCode::kNotFound));
}

TEST_P(RegistryConformance, OptionalFieldsRoundTripAsAbsent) {
  Device d = make_device("BOTBOB");
  ASSERT_FALSE(d.deadline || d.auth_string || d.lsc);
  ASSERT_TRUE(is_ok(registry_->insert_device(d)));
  ASSERT_OK_AND_ASSIGN(auto found, registry_->find_device(d.name));
  ASSERT_TRUE(found.has_value());
  EXPECT_FALSE(found->deadline.has_value());
  EXPECT_FALSE(found->auth_string.has_value());
  EXPECT_FALSE(found->lsc.has_value());
  expect_same_device(*found, d);

  // Clearing them again after they were set.
  Device full = full_device("BOTBOB");
  full.version = found->version;
  ASSERT_OK_AND_ASSIGN(Device with, registry_->update_device(full));
  EXPECT_TRUE(with.deadline && with.auth_string && with.lsc);
  Device cleared = with;
  cleared.deadline.reset();
  cleared.auth_string.reset();
  cleared.lsc.reset();
  ASSERT_OK_AND_ASSIGN(Device without, registry_->update_device(cleared));
  EXPECT_FALSE(without.deadline || without.auth_string || without.lsc);
}

TEST_P(RegistryConformance, EmptyStringsAreNotAbsent) {
  Device d = make_device("CSFempty");
  d.auth_string = "";
  ASSERT_TRUE(is_ok(registry_->insert_device(d)));
  ASSERT_OK_AND_ASSIGN(auto found, registry_->find_device(d.name));
  ASSERT_TRUE(found.has_value());
  ASSERT_TRUE(found->auth_string.has_value());
  EXPECT_EQ(*found->auth_string, "");
}

TEST_P(RegistryConformance, EveryEnumValueRoundTrips) {
  int i = 0;
  ASSERT_TRUE(is_ok(registry_->transact([&]() -> Status {
    for (Operation op :
         {Operation::kNone, Operation::kInstall, Operation::kDelete, Operation::kTroubleshoot}) {
      for (AuthMode mode : {AuthMode::kAuthString, AuthMode::kNullString, AuthMode::kLscFirst,
                            AuthMode::kMicFirst}) {
        for (KeyOrder order :
             {KeyOrder::kRsaOnly, KeyOrder::kEcOnly, KeyOrder::kEcPreferredRsaBackup}) {
          Device d = make_device(phone(++i));
          d.operation = op;
          d.auth_mode = mode;
          d.key_order = order;
          CAPF_TRY(registry_->insert_device(d));
        }
      }
    }
    return ok();
  })));
  ASSERT_OK_AND_ASSIGN(auto all, registry_->list_devices(DeviceFilter{.limit = 1000}));
  ASSERT_EQ(all.size(), 48u);
  int j = 0;
  for (Operation op :
       {Operation::kNone, Operation::kInstall, Operation::kDelete, Operation::kTroubleshoot}) {
    for (AuthMode mode :
         {AuthMode::kAuthString, AuthMode::kNullString, AuthMode::kLscFirst, AuthMode::kMicFirst}) {
      for (KeyOrder order :
           {KeyOrder::kRsaOnly, KeyOrder::kEcOnly, KeyOrder::kEcPreferredRsaBackup}) {
        const Device& d = all[static_cast<std::size_t>(j++)];
        EXPECT_EQ(d.operation, op);
        EXPECT_EQ(d.auth_mode, mode);
        EXPECT_EQ(d.key_order, order);
      }
    }
  }
}

TEST_P(RegistryConformance, EveryStatusRoundTripsAndFiltersByKind) {
  std::vector<OperationStatus> statuses;
  for (StatusKind k : kAllStatusKinds) {
    for (Operation op : kAllOperations) {
      for (FailureReason r : kAllFailureReasons) {
        statuses.push_back(OperationStatus{k, op, r});
      }
    }
  }
  ASSERT_TRUE(is_ok(registry_->transact([&]() -> Status {
    for (std::size_t i = 0; i < statuses.size(); ++i) {
      Device d = make_device(phone(static_cast<int>(i)));
      d.status = statuses[i];
      CAPF_TRY(registry_->insert_device(d));
    }
    return ok();
  })));
  for (std::size_t i = 0; i < statuses.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(auto found, registry_->find_device(name_of(phone(static_cast<int>(i)))));
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->status, statuses[i]) << to_string(statuses[i]);
  }
  const std::size_t per_kind = statuses.size() / 4;
  for (StatusKind k : kAllStatusKinds) {
    DeviceFilter filter{.status_kind = k};
    ASSERT_OK_AND_ASSIGN(auto listed, registry_->list_devices(filter));
    EXPECT_EQ(listed.size(), per_kind);
    for (const Device& d : listed) {
      EXPECT_EQ(d.status.kind, k);
    }
    ASSERT_OK_AND_ASSIGN(std::int64_t count, registry_->count_devices(filter));
    EXPECT_EQ(count, static_cast<std::int64_t>(per_kind));
  }
}

using Names = std::vector<std::string>;

// Six devices that differ in every filtered field.
void add_filter_population(Registry& registry) {
  auto add = [&](std::string_view name, Operation op, OperationStatus status, AuthMode mode,
                 std::optional<std::int64_t> lsc_days) {
    Device d = make_device(name);
    d.operation = op;
    d.status = status;
    d.auth_mode = mode;
    if (lsc_days) {
      d.lsc = LscInfo{fmt::format("{:x}", *lsc_days), "CN=CAPF", from_unix(kT0 + *lsc_days * kDay)};
    }
    ASSERT_TRUE(is_ok(registry.insert_device(d)));
  };
  add("SEP000000000001", Operation::kInstall, OperationStatus::pending(), AuthMode::kAuthString,
      10);
  add("SEP000000000002", Operation::kNone, OperationStatus::success(Operation::kInstall),
      AuthMode::kLscFirst, 100);
  add("SEP000000000003", Operation::kDelete,
      OperationStatus::failed(Operation::kDelete, FailureReason::kPhoneCommunicationFailure),
      AuthMode::kMicFirst, std::nullopt);
  add("CSFalice", Operation::kInstall, OperationStatus::pending(), AuthMode::kNullString,
      std::nullopt);
  add("CSFbob", Operation::kTroubleshoot, OperationStatus::none(), AuthMode::kLscFirst, 5);
  add("TABCAROL", Operation::kNone, OperationStatus::none(), AuthMode::kNullString, std::nullopt);
}

// The names list_devices returns, checking that count_devices agrees.
Names listed(Registry& registry, const DeviceFilter& filter) {
  auto devices = registry.list_devices(filter);
  EXPECT_TRUE(is_ok(devices));
  if (!devices) {
    return {};
  }
  if (filter.limit >= 1000) {
    auto count = registry.count_devices(filter);
    EXPECT_TRUE(is_ok(count));
    if (count) {
      EXPECT_EQ(*count, static_cast<std::int64_t>(devices->size()));
    }
  }
  return names(*devices);
}

TEST_P(RegistryConformance, FilterNoFilterListsAllByName) {
  ASSERT_NO_FATAL_FAILURE(add_filter_population(*registry_));
  Registry& registry = *registry_;
  EXPECT_EQ(listed(registry, {}), (Names{"CSFalice", "CSFbob", "SEP000000000001", "SEP000000000002",
                                         "SEP000000000003", "TABCAROL"}));
  EXPECT_EQ(listed(registry, {.name_prefix = ""}).size(), 6u);
}

TEST_P(RegistryConformance, FilterNamePrefix) {
  ASSERT_NO_FATAL_FAILURE(add_filter_population(*registry_));
  Registry& registry = *registry_;
  EXPECT_EQ(listed(registry, {.name_prefix = "SEP"}),
            (Names{"SEP000000000001", "SEP000000000002", "SEP000000000003"}));
  EXPECT_EQ(listed(registry, {.name_prefix = "CSF"}), (Names{"CSFalice", "CSFbob"}));
  EXPECT_EQ(listed(registry, {.name_prefix = "CSFb"}), (Names{"CSFbob"}));
  EXPECT_EQ(listed(registry, {.name_prefix = "SEP000000000002"}), (Names{"SEP000000000002"}));
  EXPECT_EQ(listed(registry, {.name_prefix = "SEP0000000000021"}), Names{});
  EXPECT_EQ(listed(registry, {.name_prefix = "X"}), Names{});
  EXPECT_EQ(listed(registry, {.name_prefix = "%"}), Names{});  // no wildcard meaning
  EXPECT_EQ(listed(registry, {.name_prefix = "_"}), Names{});
}

// list_devices() over the filter population, and the names each filter lists.
struct Listing {
  DeviceFilter filter;
  Names names;
};
void expect_listings(Registry& registry, std::initializer_list<Listing> listings) {
  int i = 0;
  for (const Listing& l : listings) {
    EXPECT_EQ(listed(registry, l.filter), l.names) << "listing " << i++;
  }
}

TEST_P(RegistryConformance, FilterOperation) {
  ASSERT_NO_FATAL_FAILURE(add_filter_population(*registry_));
  expect_listings(*registry_,
                  {{{.operation = Operation::kInstall}, {"CSFalice", "SEP000000000001"}},
                   {{.operation = Operation::kNone}, {"SEP000000000002", "TABCAROL"}},
                   {{.operation = Operation::kDelete}, {"SEP000000000003"}},
                   {{.operation = Operation::kTroubleshoot}, {"CSFbob"}}});
}

TEST_P(RegistryConformance, FilterStatusKind) {
  ASSERT_NO_FATAL_FAILURE(add_filter_population(*registry_));
  expect_listings(*registry_,
                  {{{.status_kind = StatusKind::kPending}, {"CSFalice", "SEP000000000001"}},
                   {{.status_kind = StatusKind::kSuccess}, {"SEP000000000002"}},
                   {{.status_kind = StatusKind::kFailed}, {"SEP000000000003"}},
                   {{.status_kind = StatusKind::kNone}, {"CSFbob", "TABCAROL"}}});
}

TEST_P(RegistryConformance, FilterAuthMode) {
  ASSERT_NO_FATAL_FAILURE(add_filter_population(*registry_));
  expect_listings(*registry_, {{{.auth_mode = AuthMode::kNullString}, {"CSFalice", "TABCAROL"}},
                               {{.auth_mode = AuthMode::kLscFirst}, {"CSFbob", "SEP000000000002"}},
                               {{.auth_mode = AuthMode::kAuthString}, {"SEP000000000001"}},
                               {{.auth_mode = AuthMode::kMicFirst}, {"SEP000000000003"}}});
}

TEST_P(RegistryConformance, FilterLscPresenceAndExpiry) {
  ASSERT_NO_FATAL_FAILURE(add_filter_population(*registry_));
  expect_listings(
      *registry_,
      {{{.with_lsc_only = true}, {"CSFbob", "SEP000000000001", "SEP000000000002"}},
       {{.lsc_expires_before = from_unix(kT0 + 30 * kDay)}, {"CSFbob", "SEP000000000001"}},
       {{.lsc_expires_before = from_unix(kT0 + 10 * kDay)}, {"CSFbob"}},
       {{.lsc_expires_before = from_unix(kT0)}, {}},
       {{.without_lsc_only = true}, {"CSFalice", "SEP000000000003", "TABCAROL"}}});
}

TEST_P(RegistryConformance, FilterCombined) {
  ASSERT_NO_FATAL_FAILURE(add_filter_population(*registry_));
  Registry& registry = *registry_;
  EXPECT_EQ(
      listed(registry,
             {.name_prefix = "SEP", .status_kind = StatusKind::kPending, .with_lsc_only = true}),
      (Names{"SEP000000000001"}));
  EXPECT_EQ(listed(registry, {.name_prefix = "CSF",
                              .operation = Operation::kInstall,
                              .auth_mode = AuthMode::kNullString}),
            (Names{"CSFalice"}));
  EXPECT_EQ(
      listed(registry, {.operation = Operation::kInstall, .status_kind = StatusKind::kFailed}),
      Names{});
}

TEST_P(RegistryConformance, FilterLimitAndAfterName) {
  ASSERT_NO_FATAL_FAILURE(add_filter_population(*registry_));
  Registry& registry = *registry_;
  EXPECT_EQ(listed(registry, {.limit = 2}), (Names{"CSFalice", "CSFbob"}));
  EXPECT_EQ(listed(registry, {.after_name = "CSFbob"}),
            (Names{"SEP000000000001", "SEP000000000002", "SEP000000000003", "TABCAROL"}));
  EXPECT_EQ(listed(registry, {.name_prefix = "SEP", .limit = 1, .after_name = "SEP000000000001"}),
            (Names{"SEP000000000002"}));
  EXPECT_EQ(listed(registry, {.limit = 0}), Names{});
  ASSERT_OK_AND_ASSIGN(std::int64_t count,
                       registry.count_devices({.limit = 1, .after_name = "SEP000000000002"}));
  EXPECT_EQ(count, 2);  // count ignores the limit, honours after_name
}

TEST_P(RegistryConformance, PaginatesThroughManyDevices) {
  ASSERT_TRUE(is_ok(registry_->transact([&]() -> Status {
    for (int i = 0; i < 250; ++i) {
      Device d = make_device(phone(i * 7919 % 250));  // inserted out of order
      d.status = i % 2 == 0 ? OperationStatus::pending() : OperationStatus::none();
      CAPF_TRY(registry_->insert_device(d));
    }
    return ok();
  })));

  auto page_through = [&](DeviceFilter filter, std::vector<std::size_t> expected_pages) {
    std::vector<std::string> all;
    std::vector<std::size_t> pages;
    filter.limit = 100;
    while (true) {
      auto page = registry_->list_devices(filter);
      EXPECT_TRUE(is_ok(page));
      if (!page || page->empty()) {
        break;
      }
      pages.push_back(page->size());
      for (const Device& d : *page) {
        all.push_back(d.name.str());
      }
      filter.after_name = page->back().name.str();
    }
    EXPECT_EQ(pages, expected_pages);
    EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
    EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end());
    return all;
  };

  auto all = page_through({}, {100, 100, 50});
  ASSERT_EQ(all.size(), 250u);
  EXPECT_EQ(all.front(), phone(0));
  EXPECT_EQ(all.back(), phone(249));
  ASSERT_OK_AND_ASSIGN(std::int64_t count, registry_->count_devices({}));
  EXPECT_EQ(count, 250);

  auto pending = page_through({.status_kind = StatusKind::kPending}, {100, 25});
  EXPECT_EQ(pending.size(), 125u);
  ASSERT_OK_AND_ASSIGN(
      std::int64_t rest,
      registry_->count_devices({.status_kind = StatusKind::kPending, .after_name = pending[99]}));
  EXPECT_EQ(rest, 25);
}

// ---- certificate ledger ----

TEST_P(RegistryConformance, LedgerRecordsFindsAndRefusesDuplicates) {
  IssuedCertificate a = make_cert("0a", "SEP000000000001", kT0, kT0 + 365 * kDay);
  a.revocation_reason = "";
  ASSERT_TRUE(is_ok(registry_->record_issued(a)));
  EXPECT_TRUE(is_error(registry_->record_issued(a), ErrorCode::kAlreadyExists));

  ASSERT_OK_AND_ASSIGN(auto found, registry_->find_certificate("0a"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->serial_hex, a.serial_hex);
  EXPECT_EQ(found->device_name, a.device_name);
  EXPECT_EQ(found->issuer, a.issuer);
  EXPECT_EQ(found->subject, a.subject);
  EXPECT_EQ(found->key_spec, a.key_spec);
  EXPECT_EQ(found->not_before, a.not_before);
  EXPECT_EQ(found->not_after, a.not_after);
  EXPECT_EQ(found->pem, a.pem);
  EXPECT_EQ(found->state, CertificateState::kIssued);
  EXPECT_EQ(found->issued_at, a.issued_at);
  EXPECT_EQ(found->state_time, a.state_time);
  EXPECT_EQ(found->session, a.session);
  EXPECT_EQ(found->revocation_reason, "");

  ASSERT_OK_AND_ASSIGN(auto missing, registry_->find_certificate("0b"));
  EXPECT_FALSE(missing.has_value());
}

TEST_P(RegistryConformance, LedgerChangesState) {
  ASSERT_TRUE(is_ok(registry_->record_issued(make_cert("1a", "SEP000000000001", kT0, kT0 + kDay))));
  ASSERT_TRUE(is_ok(registry_->set_certificate_state("1a", CertificateState::kInstalled,
                                                     from_unix(kT0 + 5), "")));
  ASSERT_OK_AND_ASSIGN(auto installed, registry_->find_certificate("1a"));
  ASSERT_TRUE(installed.has_value());
  EXPECT_EQ(installed->state, CertificateState::kInstalled);
  EXPECT_EQ(installed->state_time, from_unix(kT0 + 5));

  ASSERT_TRUE(is_ok(registry_->set_certificate_state("1a", CertificateState::kRevoked,
                                                     from_unix(kT0 + 60), "key compromise")));
  ASSERT_OK_AND_ASSIGN(auto revoked, registry_->find_certificate("1a"));
  ASSERT_TRUE(revoked.has_value());
  EXPECT_EQ(revoked->state, CertificateState::kRevoked);
  EXPECT_EQ(revoked->state_time, from_unix(kT0 + 60));
  EXPECT_EQ(revoked->revocation_reason, "key compromise");
  EXPECT_EQ(revoked->issued_at, from_unix(kT0));

  EXPECT_TRUE(is_error(registry_->set_certificate_state("ff", CertificateState::kRejected,
                                                        from_unix(kT0), "session ended"),
                       ErrorCode::kNotFound));
}

TEST_P(RegistryConformance, LedgerListsNewestFirstWithFilters) {
  ASSERT_TRUE(
      is_ok(registry_->record_issued(make_cert("a1", "SEP000000000001", kT0, kT0 + 365 * kDay))));
  ASSERT_TRUE(is_ok(
      registry_->record_issued(make_cert("b2", "SEP000000000002", kT0 + 10, kT0 + 30 * kDay))));
  ASSERT_TRUE(is_ok(
      registry_->record_issued(make_cert("c3", "SEP000000000001", kT0 + 20, kT0 + 400 * kDay))));
  ASSERT_TRUE(is_ok(registry_->set_certificate_state("c3", CertificateState::kInstalled,
                                                     from_unix(kT0 + 21), "")));

  auto list = [&](const CertificateFilter& f) {
    auto certs = registry_->list_certificates(f);
    EXPECT_TRUE(is_ok(certs));
    return certs ? serials(*certs) : Names{};
  };
  EXPECT_EQ(list({}), (Names{"c3", "b2", "a1"}));
  EXPECT_EQ(list({.device_name = "SEP000000000001"}), (Names{"c3", "a1"}));
  EXPECT_EQ(list({.device_name = "SEP0000000000FF"}), Names{});
  EXPECT_EQ(list({.serial_hex = "b2"}), (Names{"b2"}));
  EXPECT_EQ(list({.state = CertificateState::kInstalled}), (Names{"c3"}));
  EXPECT_EQ(list({.state = CertificateState::kIssued}), (Names{"b2", "a1"}));
  EXPECT_EQ(list({.state = CertificateState::kRevoked}), Names{});
  EXPECT_EQ(list({.expires_before = from_unix(kT0 + 100 * kDay)}), (Names{"b2"}));
  EXPECT_EQ(list({.limit = 1}), (Names{"c3"}));
  EXPECT_EQ(list({.device_name = "SEP000000000001", .state = CertificateState::kIssued}),
            (Names{"a1"}));
}

TEST_P(RegistryConformance, RemovingADeviceKeepsItsCertificatesAndEvents) {
  ASSERT_TRUE(is_ok(registry_->insert_device(make_device("SEP000000000009"))));
  ASSERT_TRUE(is_ok(registry_->record_issued(make_cert("09", "SEP000000000009", kT0, kT0 + 1))));
  ASSERT_TRUE(
      is_ok(registry_->append_event({"SEP000000000009", from_unix(kT0), "", "admin", "added"})));
  ASSERT_TRUE(is_ok(registry_->remove_device(name_of("SEP000000000009"))));
  ASSERT_OK_AND_ASSIGN(auto cert, registry_->find_certificate("09"));
  EXPECT_TRUE(cert.has_value());
  ASSERT_OK_AND_ASSIGN(auto events, registry_->device_events("SEP000000000009", 10));
  EXPECT_EQ(events.size(), 1u);
}

// ---- events ----

TEST_P(RegistryConformance, EventsComeNewestFirstWithLimit) {
  const std::string dev = "SEP000000000001";
  ASSERT_TRUE(is_ok(registry_->append_event({dev, from_unix(kT0), "", "admin", "e1"})));
  ASSERT_TRUE(is_ok(registry_->append_event({dev, from_unix(kT0 + 5), "s1", "session", "e2"})));
  ASSERT_TRUE(is_ok(registry_->append_event({dev, from_unix(kT0 + 5), "s1", "status", "e3"})));
  ASSERT_TRUE(is_ok(registry_->append_event({dev, from_unix(kT0 + 10), "s1", "issued", "e4"})));
  ASSERT_TRUE(is_ok(
      registry_->append_event({"SEP000000000002", from_unix(kT0 + 7), "", "admin", "other"})));

  ASSERT_OK_AND_ASSIGN(auto events, registry_->device_events(dev, 10));
  std::vector<std::string> details;
  for (const auto& e : events) {
    details.push_back(e.detail);
    EXPECT_EQ(e.device_name, dev);
  }
  EXPECT_EQ(details, (Names{"e4", "e3", "e2", "e1"}));
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].time, from_unix(kT0 + 10));
  EXPECT_EQ(events[0].session, "s1");
  EXPECT_EQ(events[0].kind, "issued");
  EXPECT_EQ(events[3].session, "");
  EXPECT_EQ(events[3].kind, "admin");

  ASSERT_OK_AND_ASSIGN(auto two, registry_->device_events(dev, 2));
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].detail, "e4");
  EXPECT_EQ(two[1].detail, "e3");

  ASSERT_OK_AND_ASSIGN(auto none, registry_->device_events("SEP0000000000FF", 10));
  EXPECT_TRUE(none.empty());
}

TEST_P(RegistryConformance, RecentSessionsAreSessionOutcomesOfEveryDeviceNewestFirst) {
  const std::vector<DeviceEvent> appended = {
      {"SEP000000000001", from_unix(kT0), "", "admin", "not a session"},
      {"SEP000000000001", from_unix(kT0 + 1), "s1", "issued", "a certificate, not an outcome"},
      {"SEP000000000001", from_unix(kT0 + 1), "s1", "status", "Upgrade Success"},
      {"SEP000000000002", from_unix(kT0 + 2), "s2", "pending", "waiting for the CA"},
      {"SEP000000000003", from_unix(kT0 + 3), "s3", "troubleshoot", "LSC and MIC fetched"},
      {"SEP000000000004", from_unix(kT0 + 4), "", "status", "an admin's status change"},
      {"SEP000000000002", from_unix(kT0 + 5), "s4", "status", "Upgrade Failed: CA Rejected"},
  };
  for (const auto& e : appended)
    ASSERT_TRUE(is_ok(registry_->append_event(e)));
  ASSERT_OK_AND_ASSIGN(auto recent, registry_->recent_session_events(10));
  std::vector<std::string> details;
  for (const auto& e : recent)
    details.push_back(e.detail);
  EXPECT_EQ(details, (Names{"Upgrade Failed: CA Rejected", "LSC and MIC fetched",
                            "waiting for the CA", "Upgrade Success"}));
  ASSERT_EQ(recent.size(), 4u);
  EXPECT_EQ(recent[0].device_name, "SEP000000000002");
  EXPECT_EQ(recent[0].session, "s4");
  EXPECT_EQ(recent[0].time, from_unix(kT0 + 5));
  ASSERT_OK_AND_ASSIGN(auto two, registry_->recent_session_events(2));
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[1].detail, "LSC and MIC fetched");
}

// ---- trust ----

TEST_P(RegistryConformance, TrustAddListAndDuplicates) {
  ASSERT_OK_AND_ASSIGN(std::int64_t g0, registry_->trust_generation());
  clock_.advance(Seconds(3));
  ASSERT_TRUE(is_ok(registry_->add_trust(make_trust("capf-trust", "aaaaaaaa11", "CN=Root B"))));
  ASSERT_OK_AND_ASSIGN(std::int64_t g1, registry_->trust_generation());
  EXPECT_GT(g1, g0);

  EXPECT_TRUE(is_error(registry_->add_trust(make_trust("capf-trust", "aaaaaaaa11", "CN=Root B")),
                       ErrorCode::kAlreadyExists));
  // The same certificate spelled in upper case with separators is the same certificate.
  TrustEntry upper = make_trust("capf-trust", "aaaaaaaa11", "CN=Root B");
  std::string spelled;
  for (std::size_t i = 0; i < upper.fingerprint.size(); i += 2) {
    spelled += (i ? ":" : "") + upper.fingerprint.substr(i, 2);
  }
  std::transform(spelled.begin(), spelled.end(), spelled.begin(),
                 [](char c) { return static_cast<char>(std::toupper(c)); });
  upper.fingerprint = spelled;
  EXPECT_TRUE(is_error(registry_->add_trust(upper), ErrorCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(std::int64_t g_dup, registry_->trust_generation());
  EXPECT_EQ(g_dup, g1);  // failed adds change nothing

  // The same certificate may be in another store.
  ASSERT_TRUE(
      is_ok(registry_->add_trust(make_trust("callmanager-trust", "aaaaaaaa11", "CN=Root B"))));
  ASSERT_TRUE(is_ok(registry_->add_trust(make_trust("capf-trust", "aaaaaaaa22", "CN=Root A"))));
  ASSERT_OK_AND_ASSIGN(std::int64_t g3, registry_->trust_generation());
  EXPECT_GT(g3, g1);

  ASSERT_OK_AND_ASSIGN(auto capf, registry_->list_trust("capf-trust"));
  ASSERT_EQ(capf.size(), 2u);
  EXPECT_EQ(capf[0].subject, "CN=Root A");  // by subject
  EXPECT_EQ(capf[1].subject, "CN=Root B");
  const TrustEntry expected = make_trust("capf-trust", "aaaaaaaa11", "CN=Root B");
  EXPECT_EQ(capf[1].store, "capf-trust");
  EXPECT_EQ(capf[1].fingerprint, expected.fingerprint);
  EXPECT_EQ(capf[1].issuer, expected.issuer);
  EXPECT_EQ(capf[1].not_after, expected.not_after);
  EXPECT_EQ(capf[1].pem, expected.pem);
  EXPECT_EQ(capf[1].label, "test");
  EXPECT_EQ(capf[1].added, clock_.now());

  ASSERT_OK_AND_ASSIGN(auto cm, registry_->list_trust("callmanager-trust"));
  EXPECT_EQ(cm.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto other, registry_->list_trust("tomcat-trust"));
  EXPECT_TRUE(other.empty());
}

TEST_P(RegistryConformance, TrustRefusesAFingerprintThatIsNotSha256Hex) {
  TrustEntry e = make_trust("capf-trust", "", "CN=X");
  e.fingerprint = "1234abcd";
  EXPECT_TRUE(is_error(registry_->add_trust(e), ErrorCode::kInvalidArgument));
  e.fingerprint = fingerprint("xyz");
  EXPECT_TRUE(is_error(registry_->add_trust(e), ErrorCode::kInvalidArgument));
}

TEST_P(RegistryConformance, TrustRemovesByUniquePrefix) {
  ASSERT_TRUE(is_ok(registry_->add_trust(make_trust("capf-trust", "aaaaaaaa11", "CN=One"))));
  ASSERT_TRUE(is_ok(registry_->add_trust(make_trust("capf-trust", "aaaaaaaa22", "CN=Two"))));
  ASSERT_TRUE(is_ok(registry_->add_trust(make_trust("capf-trust", "bbbbbbbb33", "CN=Three"))));
  ASSERT_TRUE(is_ok(registry_->add_trust(make_trust("callmanager-trust", "aaaaaaaa11", "CN=One"))));
  ASSERT_OK_AND_ASSIGN(std::int64_t g0, registry_->trust_generation());

  auto too_short = registry_->remove_trust("capf-trust", "bbbbbbb");
  EXPECT_TRUE(is_error(too_short, ErrorCode::kInvalidArgument));
  auto ambiguous = registry_->remove_trust("capf-trust", "aaaaaaaa");
  ASSERT_TRUE(is_error(ambiguous, ErrorCode::kInvalidArgument));
  EXPECT_NE(ambiguous.error().message.find("several"), std::string::npos)
      << ambiguous.error().message;
  EXPECT_TRUE(is_error(registry_->remove_trust("capf-trust", "cccccccc"), ErrorCode::kNotFound));
  EXPECT_TRUE(is_error(registry_->remove_trust("tomcat-trust", "bbbbbbbb"), ErrorCode::kNotFound));
  EXPECT_TRUE(
      is_error(registry_->remove_trust("capf-trust", "not-hex!"), ErrorCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(std::int64_t g_failed, registry_->trust_generation());
  EXPECT_EQ(g_failed, g0);

  EXPECT_TRUE(is_ok(registry_->remove_trust("capf-trust", "bbbbbbbb")));
  EXPECT_TRUE(is_ok(registry_->remove_trust("capf-trust", "AA:AA:AA:AA:11")));
  ASSERT_OK_AND_ASSIGN(std::int64_t g2, registry_->trust_generation());
  EXPECT_GT(g2, g0);

  ASSERT_OK_AND_ASSIGN(auto capf, registry_->list_trust("capf-trust"));
  ASSERT_EQ(capf.size(), 1u);
  EXPECT_EQ(capf[0].subject, "CN=Two");
  ASSERT_OK_AND_ASSIGN(auto cm, registry_->list_trust("callmanager-trust"));
  EXPECT_EQ(cm.size(), 1u);  // the other store keeps its copy

  // The full fingerprint works too, and the last one can go.
  EXPECT_TRUE(is_ok(registry_->remove_trust("capf-trust", fingerprint("aaaaaaaa22"))));
  ASSERT_OK_AND_ASSIGN(auto empty, registry_->list_trust("capf-trust"));
  EXPECT_TRUE(empty.empty());
}

// ---- transactions ----

TEST_P(RegistryConformance, TransactCommitsEverything) {
  ASSERT_TRUE(is_ok(registry_->transact([&]() -> Status {
    CAPF_TRY(registry_->insert_device(make_device("SEP000000000001")));
    CAPF_ASSIGN_OR_RETURN(auto seen, registry_->find_device(name_of("SEP000000000001")));
    if (!seen) {
      return make_error(ErrorCode::kInternal, "a write is not visible inside its transaction");
    }
    CAPF_TRY(registry_->record_issued(make_cert("01", "SEP000000000001", kT0, kT0 + 1)));
    CAPF_TRY(registry_->append_event({"SEP000000000001", from_unix(kT0), "", "admin", "x"}));
    return registry_->add_trust(make_trust("capf-trust", "12345678", "CN=T"));
  })));
  ASSERT_OK_AND_ASSIGN(auto device, registry_->find_device(name_of("SEP000000000001")));
  EXPECT_TRUE(device.has_value());
  ASSERT_OK_AND_ASSIGN(auto cert, registry_->find_certificate("01"));
  EXPECT_TRUE(cert.has_value());
  ASSERT_OK_AND_ASSIGN(auto events, registry_->device_events("SEP000000000001", 10));
  EXPECT_EQ(events.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto trust, registry_->list_trust("capf-trust"));
  EXPECT_EQ(trust.size(), 1u);
}

TEST_P(RegistryConformance, TransactWritesNothingWhenFnFails) {
  ASSERT_OK_AND_ASSIGN(Device existing, registry_->insert_device(make_device("SEP000000000002")));
  ASSERT_OK_AND_ASSIGN(std::int64_t g0, registry_->trust_generation());
  Status result = registry_->transact([&]() -> Status {
    CAPF_TRY(registry_->insert_device(make_device("SEP000000000001")));
    Device changed = existing;
    changed.description = "changed";
    CAPF_TRY(registry_->update_device(changed));
    CAPF_TRY(registry_->record_issued(make_cert("01", "SEP000000000001", kT0, kT0 + 1)));
    CAPF_TRY(registry_->append_event({"SEP000000000001", from_unix(kT0), "", "admin", "x"}));
    CAPF_TRY(registry_->add_trust(make_trust("capf-trust", "12345678", "CN=T")));
    CAPF_TRY(registry_->remove_device(name_of("SEP000000000002")));
    return make_error(ErrorCode::kProtocol, "the phone hung up");
  });
  ASSERT_TRUE(is_error(result, ErrorCode::kProtocol));
  EXPECT_EQ(result.error().message, "the phone hung up");

  ASSERT_OK_AND_ASSIGN(auto device, registry_->find_device(name_of("SEP000000000001")));
  EXPECT_FALSE(device.has_value());
  ASSERT_OK_AND_ASSIGN(auto kept, registry_->find_device(name_of("SEP000000000002")));
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->description, "");
  EXPECT_EQ(kept->version, 1);
  ASSERT_OK_AND_ASSIGN(auto cert, registry_->find_certificate("01"));
  EXPECT_FALSE(cert.has_value());
  ASSERT_OK_AND_ASSIGN(auto events, registry_->device_events("SEP000000000001", 10));
  EXPECT_TRUE(events.empty());
  ASSERT_OK_AND_ASSIGN(auto trust, registry_->list_trust("capf-trust"));
  EXPECT_TRUE(trust.empty());
  ASSERT_OK_AND_ASSIGN(std::int64_t g1, registry_->trust_generation());
  EXPECT_EQ(g1, g0);
}

TEST_P(RegistryConformance, TransactSurvivesAFailedCallThatFnHandles) {
  ASSERT_TRUE(is_ok(registry_->insert_device(make_device("SEP000000000001"))));
  ASSERT_TRUE(is_ok(registry_->transact([&]() -> Status {
    auto dup = registry_->insert_device(make_device("SEP000000000001"));
    if (dup || dup.error().code != ErrorCode::kAlreadyExists) {
      return make_error(ErrorCode::kInternal, "expected kAlreadyExists");
    }
    return registry_->insert_device(make_device("SEP000000000003")).has_value()
               ? ok()
               : make_error(ErrorCode::kInternal, "insert after a handled error failed");
  })));
  ASSERT_OK_AND_ASSIGN(auto device, registry_->find_device(name_of("SEP000000000003")));
  EXPECT_TRUE(device.has_value());
}

TEST_P(RegistryConformance, NestedTransactUndoesOnlyItsOwnWrites) {
  ASSERT_TRUE(is_ok(registry_->transact([&]() -> Status {
    CAPF_TRY(registry_->insert_device(make_device("SEP00000000000A")));
    Status inner = registry_->transact([&]() -> Status {
      CAPF_TRY(registry_->insert_device(make_device("SEP00000000000B")));
      return make_error(ErrorCode::kConflict, "inner gives up");
    });
    if (inner || inner.error().code != ErrorCode::kConflict) {
      return make_error(ErrorCode::kInternal, "inner transact did not return its error");
    }
    return registry_->transact([&]() -> Status {
      CAPF_TRY(registry_->insert_device(make_device("SEP00000000000C")));
      return ok();
    });
  })));
  ASSERT_OK_AND_ASSIGN(auto a, registry_->find_device(name_of("SEP00000000000A")));
  ASSERT_OK_AND_ASSIGN(auto b, registry_->find_device(name_of("SEP00000000000B")));
  ASSERT_OK_AND_ASSIGN(auto c, registry_->find_device(name_of("SEP00000000000C")));
  EXPECT_TRUE(a.has_value());
  EXPECT_FALSE(b.has_value());
  EXPECT_TRUE(c.has_value());
}

// ---- several connections and threads ----

TEST_P(RegistryConformance, TwoConnectionsSeeEachOthersWrites) {
  auto other = open_another();
  ASSERT_TRUE(other);

  ASSERT_OK_AND_ASSIGN(Device mine, registry_->insert_device(make_device("SEP0000000000A1")));
  ASSERT_OK_AND_ASSIGN(auto theirs, other->find_device(mine.name));
  ASSERT_TRUE(theirs.has_value());

  theirs->description = "changed by the CLI";
  ASSERT_TRUE(is_ok(other->update_device(*theirs)));
  mine.description = "changed by the server";
  EXPECT_TRUE(is_error(registry_->update_device(mine), ErrorCode::kConflict));
  ASSERT_OK_AND_ASSIGN(auto reread, registry_->find_device(mine.name));
  ASSERT_TRUE(reread.has_value());
  EXPECT_EQ(reread->description, "changed by the CLI");

  ASSERT_TRUE(is_ok(registry_->record_issued(make_cert("a1", "SEP0000000000A1", kT0, kT0 + 1))));
  ASSERT_OK_AND_ASSIGN(auto cert, other->find_certificate("a1"));
  EXPECT_TRUE(cert.has_value());

  ASSERT_OK_AND_ASSIGN(std::int64_t g0, registry_->trust_generation());
  ASSERT_TRUE(is_ok(other->add_trust(make_trust("capf-trust", "cafebabe", "CN=New Root"))));
  ASSERT_OK_AND_ASSIGN(std::int64_t g1, registry_->trust_generation());
  EXPECT_GT(g1, g0);
  ASSERT_OK_AND_ASSIGN(auto trust, registry_->list_trust("capf-trust"));
  ASSERT_EQ(trust.size(), 1u);
  EXPECT_EQ(trust[0].subject, "CN=New Root");

  ASSERT_TRUE(is_ok(registry_->remove_trust("capf-trust", "cafebabe")));
  ASSERT_OK_AND_ASSIGN(std::int64_t g2, other->trust_generation());
  EXPECT_GT(g2, g1);
}

// Records a thread's failure (the error message).
using Fail = std::function<void(const std::string&)>;

// Runs body(t, fail) on `count` threads at once and waits for them; every fail() is a test
// failure.
void run_threads(int count, const std::function<void(int, const Fail&)>& body) {
  std::mutex mu;
  std::vector<std::string> errors;
  const Fail fail = [&](const std::string& message) {
    std::lock_guard lock(mu);
    errors.push_back(message);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < count; ++t) {
    threads.emplace_back([&, t] { body(t, fail); });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  EXPECT_TRUE(errors.empty()) << errors.front();
}

TEST_P(RegistryConformance, ConcurrentWritersLoseNoUpdate) {
  constexpr int kThreads = 4;
  constexpr int kUpdates = 200;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(is_ok(registry_->insert_device(make_device(phone(t)))));
  }
  run_threads(kThreads, [&](int t, const Fail& fail) {
    const DeviceName name = name_of(phone(t));
    for (int i = 0; i < kUpdates; ++i) {
      auto found = registry_->find_device(name);
      if (!found || !*found) {
        fail(found ? "device vanished" : found.error().message);
        return;
      }
      Device d = **found;
      d.auth_failures += 1;
      auto updated = registry_->update_device(d);
      if (!updated) {
        fail(updated.error().message);
        return;
      }
    }
  });
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_OK_AND_ASSIGN(auto found, registry_->find_device(name_of(phone(t))));
    ASSERT_TRUE(found.has_value());
    EXPECT_EQ(found->auth_failures, kUpdates);
    EXPECT_EQ(found->version, kUpdates + 1);
  }
}

TEST_P(RegistryConformance, TwoConnectionsIncrementingOneDeviceLoseNoUpdate) {
  constexpr int kThreads = 4;  // two on each connection, as two processes would
  constexpr int kUpdates = 50;
  auto other = open_another();
  ASSERT_TRUE(other);
  ASSERT_TRUE(is_ok(registry_->insert_device(make_device("SEP0000000000CC"))));
  const DeviceName name = name_of("SEP0000000000CC");

  std::atomic<int> conflicts{0};
  run_threads(kThreads, [&](int t, const Fail& fail) {
    Registry* registry = t % 2 == 0 ? registry_.get() : other.get();
    for (int i = 0; i < kUpdates; ++i) {
      while (true) {
        Status s = registry->transact([&]() -> Status {
          CAPF_ASSIGN_OR_RETURN(auto found, registry->find_device(name));
          if (!found) {
            return make_error(ErrorCode::kNotFound, "device vanished");
          }
          found->auth_failures += 1;
          CAPF_TRY(registry->update_device(*found));
          return ok();
        });
        if (s) {
          break;
        }
        if (s.error().code == ErrorCode::kConflict) {
          ++conflicts;  // another connection won the race: read again
          continue;
        }
        fail(s.error().message);
        return;
      }
    }
  });
  ASSERT_OK_AND_ASSIGN(auto found, registry_->find_device(name));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->auth_failures, kThreads * kUpdates);
  EXPECT_EQ(found->version, kThreads * kUpdates + 1);
}

// Sessions racing on one device (several threads on two connections) together get exactly
// max_attempts tries: the count is checked and raised in one step.
TEST_P(RegistryConformance, RecordAuthFailureNeverPassesTheLimit) {
  constexpr int kMax = 3;
  auto other = open_another();
  ASSERT_TRUE(other);
  ASSERT_TRUE(is_ok(registry_->insert_device(make_device("SEP0000000000DD"))));
  const DeviceName name = name_of("SEP0000000000DD");

  std::mutex mu;
  std::vector<int> granted;
  run_threads(8, [&](int t, const Fail& fail) {
    Registry* registry = t % 2 == 0 ? registry_.get() : other.get();
    for (int i = 0; i < 5; ++i) {
      auto counted = registry->record_auth_failure(name, kMax);
      if (counted) {
        std::lock_guard lock(mu);
        granted.push_back(*counted);
      } else if (counted.error().code != ErrorCode::kPermissionDenied) {
        fail(counted.error().message);
      }
    }
  });
  std::sort(granted.begin(), granted.end());
  EXPECT_EQ(granted, (std::vector<int>{1, 2, 3}));
  ASSERT_OK_AND_ASSIGN(auto found, registry_->find_device(name));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->auth_failures, kMax);
  EXPECT_EQ(found->version, kMax + 1);  // each counted attempt is a write others must see

  auto locked = registry_->record_auth_failure(name, kMax);
  ASSERT_TRUE(is_error(locked, ErrorCode::kPermissionDenied));
  EXPECT_NE(locked.error().message.find("locked after 3 wrong authentication strings"),
            std::string::npos)
      << locked.error().message;
  EXPECT_TRUE(is_error(registry_->record_auth_failure(name_of("SEP0000000000EE"), kMax),
                       ErrorCode::kNotFound));
}

TEST_P(RegistryConformance, ReadSnapshotSeesRowsAndSoundDatabaseHasNoIntegrityProblems) {
  ASSERT_TRUE(is_ok(registry_->insert_device(make_device("SEP0000000000FF"))));
  std::int64_t seen = -1;
  ASSERT_TRUE(is_ok(registry_->read_snapshot([&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(seen, registry_->count_devices(DeviceFilter{}));
    return ok();
  })));
  EXPECT_EQ(seen, 1);
  ASSERT_OK_AND_ASSIGN(auto problems, registry_->integrity_problems());
  EXPECT_TRUE(problems.empty()) << problems.front();
}

}  // namespace
}  // namespace capf::testing
