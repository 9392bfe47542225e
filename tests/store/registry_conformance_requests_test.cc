// The registry conformance suite, part two: the RequestQueue (certificate requests on their way
// through an external CA). Same fixture and same instantiation as registry_conformance_test.cc;
// written against Registry only.
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "tests/store/registry_conformance.h"

namespace capf::testing {
namespace {

constexpr std::int64_t kT0 = 1'750'000'000;  // the fake clock's start

const std::string kPhoneA = "SEP001122334455";
const std::string kPhoneB = "SEP0011223344BB";

// A request with every field set to something recognisable. Its created/updated are deliberately
// wrong: the registry sets them from its clock.
CertificateRequestRecord make_request(std::string id, std::string device,
                                      RequestState state = RequestState::kWaiting) {
  CertificateRequestRecord r;
  r.id = std::move(id);
  r.device_name = std::move(device);
  r.mode = "online";
  r.ca = "adcs https://ca.example.net/certsrv";
  r.key_spec = "rsa:2048";
  r.csr_pem =
      "-----BEGIN CERTIFICATE REQUEST-----\nMIIC" + r.id + "\n-----END CERTIFICATE REQUEST-----\n";
  r.spki_fingerprint = std::string(64, 'a');
  r.state = state;
  r.attempts = 0;
  r.created = from_unix(1);
  r.updated = from_unix(2);
  r.session = "00c0ffee";
  return r;
}

void expect_same_request(const CertificateRequestRecord& a, const CertificateRequestRecord& b) {
  SCOPED_TRACE(a.id);
  using R = CertificateRequestRecord;
  EXPECT_EQ(a.state, b.state) << to_string(a.state) << " vs " << to_string(b.state);
  expect_same_members(a, b, &R::id, &R::device_name, &R::mode, &R::ca, &R::key_spec, &R::csr_pem,
                      &R::spki_fingerprint, &R::ticket, &R::certificate_pem, &R::certificate_serial,
                      &R::last_error, &R::attempts, &R::session);
}

using Ids = std::vector<std::string>;

Ids ids(const std::vector<CertificateRequestRecord>& requests) {
  Ids out;
  for (const auto& r : requests) {
    out.push_back(r.id);
  }
  return out;
}

// The stored state of request `id`, or "absent".
std::string state_of(Registry& registry, const std::string& id) {
  auto found = registry.find_request(id);
  if (!found) {
    return "error: " + found.error().message;
  }
  return *found ? std::string(to_string((*found)->state)) : "absent";
}

TEST_P(RegistryConformance, RequestRoundTripsEveryField) {
  CertificateRequestRecord r = make_request("0a1b2c3d", kPhoneA, RequestState::kReady);
  r.mode = "offline";
  r.ca = "offline";
  r.key_spec = "ec:p384";
  r.ticket = "4711";
  r.certificate_pem =
      "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
      "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n";
  r.certificate_serial = "1a2b3c4d5e6f";
  r.last_error = "CA said: 'denied by policy module' \"0x80094012\"; caf\xc3\xa9";
  r.attempts = 7;
  r.session = "deadbeef00112233";
  ASSERT_TRUE(is_ok(registry_->insert_request(r)));

  ASSERT_OK_AND_ASSIGN(auto found, registry_->find_request("0a1b2c3d"));
  ASSERT_TRUE(found.has_value());
  expect_same_request(*found, r);
  EXPECT_EQ(found->created, clock_.now());
  EXPECT_EQ(found->updated, clock_.now());

  ASSERT_OK_AND_ASSIGN(auto missing, registry_->find_request("0a1b2c3e"));
  EXPECT_FALSE(missing.has_value());

  // Another connection (the CLI, another node) sees the same row.
  auto other = open_another();
  ASSERT_TRUE(other);
  ASSERT_OK_AND_ASSIGN(auto theirs, other->find_request("0a1b2c3d"));
  ASSERT_TRUE(theirs.has_value());
  expect_same_request(*theirs, r);
}

TEST_P(RegistryConformance, EveryRequestStateRoundTrips) {
  const RequestState states[] = {RequestState::kWaiting,    RequestState::kReady,
                                 RequestState::kDelivered,  RequestState::kFailed,
                                 RequestState::kSuperseded, RequestState::kCancelled};
  int i = 0;
  for (RequestState state : states) {
    // One device each, so that no insert supersedes another.
    const std::string id = fmt::format("{:08x}", ++i);
    ASSERT_TRUE(
        is_ok(registry_->insert_request(make_request(id, fmt::format("SEP{:012X}", i), state))));
    EXPECT_EQ(state_of(*registry_, id), to_string(state));
    ASSERT_OK_AND_ASSIGN(std::int64_t n, registry_->count_requests({.state = state}));
    EXPECT_EQ(n, 1) << to_string(state);
  }
}

TEST_P(RegistryConformance, RequestWithAKnownIdIsAlreadyExists) {
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("r1", kPhoneA))));
  clock_.advance(Seconds(5));
  CertificateRequestRecord again = make_request("r1", kPhoneA);
  again.ca = "another ca";
  EXPECT_TRUE(is_error(registry_->insert_request(again), ErrorCode::kAlreadyExists));
  // The first row is untouched, and the failed insert superseded nothing.
  ASSERT_OK_AND_ASSIGN(auto found, registry_->find_request("r1"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->ca, "adcs https://ca.example.net/certsrv");
  EXPECT_EQ(found->state, RequestState::kWaiting);
  EXPECT_EQ(found->updated, from_unix(kT0));

  // The same id for another device is the same id.
  EXPECT_TRUE(
      is_error(registry_->insert_request(make_request("r1", kPhoneB)), ErrorCode::kAlreadyExists));
  ASSERT_OK_AND_ASSIGN(std::int64_t n, registry_->count_requests({}));
  EXPECT_EQ(n, 1);
}

TEST_P(RegistryConformance, RequestWithoutIdOrDeviceIsInvalid) {
  EXPECT_TRUE(
      is_error(registry_->insert_request(make_request("", kPhoneA)), ErrorCode::kInvalidArgument));
  EXPECT_TRUE(
      is_error(registry_->insert_request(make_request("r1", "")), ErrorCode::kInvalidArgument));
  ASSERT_OK_AND_ASSIGN(std::int64_t n, registry_->count_requests({}));
  EXPECT_EQ(n, 0);
}

TEST_P(RegistryConformance, UpdateRequestReplacesFieldsAndKeepsCreated) {
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("r1", kPhoneA))));
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("r2", kPhoneB))));
  clock_.advance(Seconds(90));

  CertificateRequestRecord changed = make_request("r1", kPhoneA, RequestState::kReady);
  changed.ticket = "12";
  changed.certificate_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  changed.certificate_serial = "7f00";
  changed.last_error = "the CA was busy";
  changed.attempts = 3;
  changed.ca = "est https://est.example.net";
  changed.mode = "offline";
  changed.key_spec = "ec:p256";
  changed.csr_pem = "changed";
  changed.spki_fingerprint = std::string(64, 'b');
  changed.session = "0badcafe";
  changed.created = from_unix(5);  // ignored
  ASSERT_TRUE(is_ok(registry_->update_request(changed)));

  ASSERT_OK_AND_ASSIGN(auto found, registry_->find_request("r1"));
  ASSERT_TRUE(found.has_value());
  expect_same_request(*found, changed);
  EXPECT_EQ(found->created, from_unix(kT0));
  EXPECT_EQ(found->updated, from_unix(kT0 + 90));

  // Only that row changed.
  ASSERT_OK_AND_ASSIGN(auto other, registry_->find_request("r2"));
  ASSERT_TRUE(other.has_value());
  expect_same_request(*other, make_request("r2", kPhoneB));
  EXPECT_EQ(other->updated, from_unix(kT0));

  auto missing = registry_->update_request(make_request("r3", kPhoneA));
  ASSERT_TRUE(is_error(missing, ErrorCode::kNotFound));
  EXPECT_NE(missing.error().message.find("r3"), std::string::npos) << missing.error().message;
  ASSERT_OK_AND_ASSIGN(std::int64_t n, registry_->count_requests({}));
  EXPECT_EQ(n, 2);  // an update never inserts
}

TEST_P(RegistryConformance, InsertSupersedesTheDevicesOpenRequests) {
  // Closed requests of A, inserted directly in their final states.
  ASSERT_TRUE(
      is_ok(registry_->insert_request(make_request("d1", kPhoneA, RequestState::kDelivered))));
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("f1", kPhoneA, RequestState::kFailed))));
  ASSERT_TRUE(
      is_ok(registry_->insert_request(make_request("c1", kPhoneA, RequestState::kCancelled))));
  // Two open requests of A at once: a2 supersedes a1, which an update then reopens as ready.
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("a1", kPhoneA))));
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("a2", kPhoneA))));
  EXPECT_EQ(state_of(*registry_, "a1"), "superseded");
  EXPECT_EQ(state_of(*registry_, "a2"), "waiting");
  ASSERT_TRUE(is_ok(registry_->update_request(make_request("a1", kPhoneA, RequestState::kReady))));
  // Another device's open requests.
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("b1", kPhoneB))));
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("b2", "SEP0011223344550"))));

  clock_.advance(Seconds(60));
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("a3", kPhoneA))));

  EXPECT_EQ(state_of(*registry_, "a1"), "superseded");  // was ready
  EXPECT_EQ(state_of(*registry_, "a2"), "superseded");  // was waiting
  EXPECT_EQ(state_of(*registry_, "a3"), "waiting");
  EXPECT_EQ(state_of(*registry_, "d1"), "delivered");
  EXPECT_EQ(state_of(*registry_, "f1"), "failed");
  EXPECT_EQ(state_of(*registry_, "c1"), "cancelled");
  EXPECT_EQ(state_of(*registry_, "b1"), "waiting");
  EXPECT_EQ(state_of(*registry_, "b2"), "waiting");  // a name that merely starts with A's

  ASSERT_OK_AND_ASSIGN(auto a1, registry_->find_request("a1"));
  ASSERT_TRUE(a1.has_value());
  EXPECT_EQ(a1->updated, clock_.now());  // superseding is a change
  EXPECT_EQ(a1->certificate_pem, "");    // and nothing else about it changes
  ASSERT_OK_AND_ASSIGN(auto d1, registry_->find_request("d1"));
  ASSERT_TRUE(d1.has_value());
  EXPECT_EQ(d1->updated, from_unix(kT0));

  // A request inserted already closed still supersedes the open ones.
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("b3", kPhoneB, RequestState::kFailed))));
  EXPECT_EQ(state_of(*registry_, "b1"), "superseded");
  EXPECT_EQ(state_of(*registry_, "b3"), "failed");
}

// Two nodes (connections) recording requests for the same device at once: each insert supersedes
// what is open, so when both are done exactly one request of the device is still open.
TEST_P(RegistryConformance, ConcurrentInsertsLeaveOneOpenRequest) {
  constexpr int kPerWriter = 40;
  auto other = open_another();
  ASSERT_NE(other, nullptr);
  auto insert_all = [](Registry* registry, const std::string& prefix) {
    for (int i = 0; i < kPerWriter; ++i) {
      EXPECT_TRUE(
          is_ok(registry->insert_request(make_request(fmt::format("{}{}", prefix, i), kPhoneA))));
    }
  };
  std::thread first(insert_all, registry_.get(), "x");
  std::thread second(insert_all, other.get(), "y");
  first.join();
  second.join();
  RequestFilter open;
  open.device_name = kPhoneA;
  open.state = RequestState::kWaiting;
  ASSERT_OK_AND_ASSIGN(std::int64_t waiting, registry_->count_requests(open));
  EXPECT_EQ(waiting, 1);
  open.state = RequestState::kSuperseded;
  ASSERT_OK_AND_ASSIGN(std::int64_t superseded, registry_->count_requests(open));
  EXPECT_EQ(superseded, 2 * kPerWriter - 1);
}

TEST_P(RegistryConformance, OpenRequestIsTheNewestWaitingOrReady) {
  ASSERT_OK_AND_ASSIGN(auto none, registry_->open_request(kPhoneA));
  EXPECT_FALSE(none.has_value());

  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("ff01", kPhoneA))));
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("ff02", kPhoneB))));
  ASSERT_OK_AND_ASSIGN(auto first, registry_->open_request(kPhoneA));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->id, "ff01");
  expect_same_request(*first, make_request("ff01", kPhoneA));

  clock_.advance(Seconds(10));
  ASSERT_TRUE(
      is_ok(registry_->insert_request(make_request("ee01", kPhoneA, RequestState::kReady))));
  ASSERT_OK_AND_ASSIGN(auto ready, registry_->open_request(kPhoneA));
  ASSERT_TRUE(ready.has_value());
  EXPECT_EQ(ready->id, "ee01");
  EXPECT_EQ(ready->state, RequestState::kReady);

  // Delivered, failed, superseded and cancelled requests are not open.
  ASSERT_TRUE(
      is_ok(registry_->update_request(make_request("ee01", kPhoneA, RequestState::kDelivered))));
  ASSERT_OK_AND_ASSIGN(auto delivered, registry_->open_request(kPhoneA));
  EXPECT_FALSE(delivered.has_value()) << delivered->id;
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("dd01", kPhoneA))));
  ASSERT_TRUE(
      is_ok(registry_->update_request(make_request("dd01", kPhoneA, RequestState::kCancelled))));
  ASSERT_OK_AND_ASSIGN(auto cancelled, registry_->open_request(kPhoneA));
  EXPECT_FALSE(cancelled.has_value()) << cancelled->id;

  // Two open requests at once (an older one reopened by an update): the newest wins, by insertion
  // even within one second and whatever the ids' order.
  clock_.advance(Seconds(10));
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("cc01", kPhoneA))));
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("bb01", kPhoneA))));
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("aa01", kPhoneA))));
  ASSERT_TRUE(is_ok(registry_->update_request(make_request("cc01", kPhoneA))));
  ASSERT_TRUE(
      is_ok(registry_->update_request(make_request("bb01", kPhoneA, RequestState::kReady))));
  ASSERT_OK_AND_ASSIGN(auto newest, registry_->open_request(kPhoneA));
  ASSERT_TRUE(newest.has_value());
  EXPECT_EQ(newest->id, "aa01");
  ASSERT_TRUE(
      is_ok(registry_->update_request(make_request("aa01", kPhoneA, RequestState::kFailed))));
  ASSERT_OK_AND_ASSIGN(auto next, registry_->open_request(kPhoneA));
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->id, "bb01");

  // The other device's request is its own.
  ASSERT_OK_AND_ASSIGN(auto b, registry_->open_request(kPhoneB));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->id, "ff02");
  ASSERT_OK_AND_ASSIGN(auto unknown, registry_->open_request("SEP0000000000FF"));
  EXPECT_FALSE(unknown.has_value());
}

TEST_P(RegistryConformance, ListAndCountRequestsWithEveryFilter) {
  // Ids in no particular order: listing is by age. q1 and q2 share a second.
  auto add = [&](const std::string& id, const std::string& device, const std::string& mode,
                 RequestState state, char fp) {
    CertificateRequestRecord r = make_request(id, device, state);
    r.mode = mode;
    r.spki_fingerprint = std::string(64, fp);
    return registry_->insert_request(r);
  };
  ASSERT_TRUE(is_ok(add("q5", kPhoneA, "online", RequestState::kDelivered, 'a')));
  clock_.advance(Seconds(1));
  ASSERT_TRUE(is_ok(add("q9", kPhoneB, "offline", RequestState::kWaiting, 'b')));
  clock_.advance(Seconds(1));
  ASSERT_TRUE(is_ok(add("q2", "SEP000000000003", "online", RequestState::kWaiting, 'c')));
  ASSERT_TRUE(is_ok(add("q1", "SEP000000000004", "offline", RequestState::kReady, 'a')));
  clock_.advance(Seconds(1));
  ASSERT_TRUE(is_ok(add("q7", kPhoneA, "offline", RequestState::kWaiting, 'd')));
  clock_.advance(Seconds(1));
  ASSERT_TRUE(is_ok(add("q3", kPhoneB, "online", RequestState::kFailed, 'b')));  // supersedes q9

  auto listed = [&](const RequestFilter& filter) -> Ids {
    auto list = registry_->list_requests(filter);
    if (!list) {
      ADD_FAILURE() << list.error().message;
      return {};
    }
    return ids(*list);
  };
  auto counted = [&](const RequestFilter& filter) -> std::int64_t {
    auto count = registry_->count_requests(filter);
    if (!count) {
      ADD_FAILURE() << count.error().message;
      return -1;
    }
    return *count;
  };

  EXPECT_EQ(listed({}), (Ids{"q5", "q9", "q2", "q1", "q7", "q3"}));
  EXPECT_EQ(counted({}), 6);

  EXPECT_EQ(listed({.device_name = kPhoneA}), (Ids{"q5", "q7"}));
  EXPECT_EQ(counted({.device_name = kPhoneA}), 2);
  EXPECT_EQ(listed({.device_name = "SEP0011223344"}), Ids{});  // no prefix match

  EXPECT_EQ(listed({.mode = "offline"}), (Ids{"q9", "q1", "q7"}));
  EXPECT_EQ(counted({.mode = "offline"}), 3);

  EXPECT_EQ(listed({.state = RequestState::kWaiting}), (Ids{"q2", "q7"}));
  EXPECT_EQ(counted({.state = RequestState::kWaiting}), 2);
  EXPECT_EQ(listed({.state = RequestState::kSuperseded}), (Ids{"q9"}));
  EXPECT_EQ(counted({.state = RequestState::kCancelled}), 0);

  EXPECT_EQ(listed({.spki_fingerprint = std::string(64, 'a')}), (Ids{"q5", "q1"}));
  EXPECT_EQ(counted({.spki_fingerprint = std::string(64, 'b')}), 2);
  EXPECT_EQ(counted({.spki_fingerprint = std::string(64, 'e')}), 0);

  // Every filter at once, and each one excluding a row the others let through.
  const RequestFilter all{.device_name = kPhoneA,
                          .mode = "offline",
                          .state = RequestState::kWaiting,
                          .spki_fingerprint = std::string(64, 'd')};
  EXPECT_EQ(listed(all), (Ids{"q7"}));
  EXPECT_EQ(counted(all), 1);
  RequestFilter wrong = all;
  wrong.spki_fingerprint = std::string(64, 'a');
  EXPECT_EQ(counted(wrong), 0);
  wrong = all;
  wrong.mode = "online";
  EXPECT_EQ(counted(wrong), 0);
  wrong = all;
  wrong.state = RequestState::kReady;
  EXPECT_EQ(counted(wrong), 0);
  wrong = all;
  wrong.device_name = kPhoneB;
  EXPECT_EQ(counted(wrong), 0);
  EXPECT_EQ(listed({.mode = "online", .state = RequestState::kWaiting}), (Ids{"q2"}));

  // The limit keeps the oldest; the count ignores it.
  EXPECT_EQ(listed({.limit = 3}), (Ids{"q5", "q9", "q2"}));
  EXPECT_EQ(counted({.limit = 3}), 6);
  EXPECT_EQ(listed({.mode = "offline", .limit = 1}), (Ids{"q9"}));
  EXPECT_EQ(listed({.limit = 0}), Ids{});
}

TEST_P(RegistryConformance, RequestsSurviveRemovingTheDevice) {
  ASSERT_TRUE(is_ok(registry_->insert_device(blank_device(*DeviceName::parse(kPhoneA)))));
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("r1", kPhoneA, RequestState::kReady))));
  ASSERT_TRUE(is_ok(registry_->remove_device(*DeviceName::parse(kPhoneA))));

  ASSERT_OK_AND_ASSIGN(auto found, registry_->find_request("r1"));
  ASSERT_TRUE(found.has_value());
  expect_same_request(*found, make_request("r1", kPhoneA, RequestState::kReady));
  ASSERT_OK_AND_ASSIGN(auto open, registry_->open_request(kPhoneA));
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->id, "r1");
  ASSERT_OK_AND_ASSIGN(std::int64_t n, registry_->count_requests({.device_name = kPhoneA}));
  EXPECT_EQ(n, 1);
}

TEST_P(RegistryConformance, TransactRollbackCoversRequests) {
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("r1", kPhoneA))));
  ASSERT_TRUE(is_ok(registry_->insert_request(make_request("r2", kPhoneB))));
  clock_.advance(Seconds(30));
  Status result = registry_->transact([&]() -> Status {
    CAPF_TRY(registry_->insert_request(make_request("r3", kPhoneA)));  // supersedes r1
    CAPF_ASSIGN_OR_RETURN(auto seen, registry_->open_request(kPhoneA));
    if (!seen || seen->id != "r3") {
      return make_error(ErrorCode::kInternal, "an insert is not visible inside its transaction");
    }
    CAPF_TRY(registry_->update_request(make_request("r2", kPhoneB, RequestState::kDelivered)));
    return make_error(ErrorCode::kUnavailable, "the ca went away");
  });
  ASSERT_TRUE(is_error(result, ErrorCode::kUnavailable));

  EXPECT_EQ(state_of(*registry_, "r3"), "absent");
  EXPECT_EQ(state_of(*registry_, "r1"), "waiting");  // the supersede is undone too
  EXPECT_EQ(state_of(*registry_, "r2"), "waiting");
  ASSERT_OK_AND_ASSIGN(auto r1, registry_->find_request("r1"));
  ASSERT_TRUE(r1.has_value());
  EXPECT_EQ(r1->updated, from_unix(kT0));
  ASSERT_OK_AND_ASSIGN(auto open, registry_->open_request(kPhoneA));
  ASSERT_TRUE(open.has_value());
  EXPECT_EQ(open->id, "r1");

  // A nested unit that fails undoes only its own request; the rest commits.
  ASSERT_TRUE(is_ok(registry_->transact([&]() -> Status {
    CAPF_TRY(registry_->insert_request(make_request("r4", kPhoneB)));  // supersedes r2
    Status inner = registry_->transact([&]() -> Status {
      CAPF_TRY(registry_->insert_request(make_request("r5", kPhoneB)));
      return make_error(ErrorCode::kPermissionDenied, "the ca refused");
    });
    return inner ? make_error(ErrorCode::kInternal, "the inner unit did not fail") : ok();
  })));
  EXPECT_EQ(state_of(*registry_, "r4"), "waiting");
  EXPECT_EQ(state_of(*registry_, "r5"), "absent");
  EXPECT_EQ(state_of(*registry_, "r2"), "superseded");
}

}  // namespace
}  // namespace capf::testing

namespace capf::testing {

TEST_P(RegistryConformance, CrlNumbersOnlyGrowAcrossConnections) {
  auto first = registry_->next_crl_number();
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(*first, 1);
  EXPECT_EQ(*registry_->next_crl_number(), 2);
  // Another process (a second connection) continues the sequence.
  std::unique_ptr<Registry> other = open_another();
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(*other->next_crl_number(), 3);
  EXPECT_EQ(*registry_->next_crl_number(), 4);
}

}  // namespace capf::testing
