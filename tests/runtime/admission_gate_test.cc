// AdmissionGate on a one-thread io_context: the limit, first come first served, a waiter whose
// deadline passes leaves the line, and the counters /metrics shows.
#include "capf/runtime/admission_gate.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace capf {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

constexpr auto kFar = std::chrono::hours(1);

// One party at the gate: what it got, and its permit while it holds one.
struct Party {
  std::optional<bool> admitted;  // unset while waiting
  AdmissionGate::Permit permit;
};

asio::awaitable<void> arrive(std::shared_ptr<AdmissionGate> gate, Party& party,
                             Clock::time_point deadline, std::vector<int>* order = nullptr,
                             int id = 0) {
  AdmissionGate::Permit permit = co_await gate->enter(deadline);
  party.admitted = static_cast<bool>(permit);
  if (permit && order != nullptr)
    order->push_back(id);
  party.permit = std::move(permit);
}

class AdmissionGateTest : public ::testing::Test {
 protected:
  void start(Party& party, Clock::time_point deadline, int id = 0) {
    asio::co_spawn(io_, arrive(gate_, party, deadline, &order_, id), asio::detached);
    settle();
  }
  // Runs what is ready (the arrival, the wake-ups a leaving holder posts).
  void settle() {
    io_.restart();
    io_.poll();
  }

  asio::io_context io_{1};
  std::shared_ptr<AdmissionGate> gate_ = std::make_shared<AdmissionGate>(2);
  std::vector<int> order_;
};

TEST_F(AdmissionGateTest, AdmitsUpToTheLimitAndQueuesTheRestInArrivalOrder) {
  Party parties[5];
  for (int i = 0; i < 5; ++i)
    start(parties[i], Clock::now() + kFar, i);
  EXPECT_EQ(parties[0].admitted, true);
  EXPECT_EQ(parties[1].admitted, true);
  for (int i = 2; i < 5; ++i)
    EXPECT_FALSE(parties[i].admitted) << "party " << i << " waits";
  EXPECT_EQ(gate_->in_flight(), 2);
  EXPECT_EQ(gate_->queued(), 3);

  parties[1].permit.release();
  settle();
  EXPECT_EQ(parties[2].admitted, true) << "the first in line takes the place";
  EXPECT_FALSE(parties[3].admitted);
  EXPECT_EQ(gate_->in_flight(), 2);
  EXPECT_EQ(gate_->queued(), 2);

  parties[0].permit.release();
  parties[2].permit.release();
  settle();
  EXPECT_EQ(order_, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(gate_->in_flight(), 2);
  EXPECT_EQ(gate_->queued(), 0);

  parties[3].permit.release();
  parties[4].permit.release();
  EXPECT_EQ(gate_->in_flight(), 0);
}

TEST_F(AdmissionGateTest, AWaiterWhoseDeadlinePassesLeavesTheLineAndTheNextOneMovesUp) {
  Party holders[2];
  start(holders[0], Clock::now() + kFar);
  start(holders[1], Clock::now() + kFar);
  Party late;
  Party patient;
  start(late, Clock::now() + std::chrono::milliseconds(20), 1);
  start(patient, Clock::now() + kFar, 2);
  EXPECT_EQ(gate_->queued(), 2);
  // Only the late one's timer can fire: run until it has given up.
  io_.restart();
  while (!late.admitted)
    io_.run_one();
  EXPECT_EQ(late.admitted, false);
  EXPECT_FALSE(late.permit);
  EXPECT_EQ(gate_->queued(), 1);
  EXPECT_EQ(gate_->in_flight(), 2) << "giving up takes no place";

  holders[0].permit.release();
  settle();
  EXPECT_EQ(patient.admitted, true);
  EXPECT_EQ(gate_->queued(), 0);
  EXPECT_EQ(gate_->in_flight(), 2);
}

TEST_F(AdmissionGateTest, AFreePlaceIsTakenAtOnceEvenPastTheDeadline) {
  Party party;
  start(party, Clock::now() - std::chrono::seconds(1));
  EXPECT_EQ(party.admitted, true);
  EXPECT_EQ(gate_->in_flight(), 1);
}

TEST_F(AdmissionGateTest, AMovedPermitIsGivenBackOnce) {
  Party party;
  start(party, Clock::now() + kFar);
  AdmissionGate::Permit moved = std::move(party.permit);
  party.permit.release();  // empty now: gives nothing back
  EXPECT_EQ(gate_->in_flight(), 1);
  moved = AdmissionGate::Permit();
  EXPECT_EQ(gate_->in_flight(), 0);
}

TEST(AdmissionGates, OneGatePerNameWithTheSameLimitAndItsCounters) {
  AdmissionGates gates(3);
  auto a = gates.gate("online cfssl http://a");
  EXPECT_EQ(a, gates.gate("online cfssl http://a"));
  auto b = gates.gate("online cfssl http://b");
  EXPECT_NE(a, b);
  asio::io_context io(1);
  Party party;
  asio::co_spawn(io, arrive(b, party, Clock::now() + kFar), asio::detached);
  io.run();
  std::vector<GateLoad> load = gates.load();
  ASSERT_EQ(load.size(), 2u);
  EXPECT_EQ(load[0].name, "online cfssl http://a");
  EXPECT_EQ(load[0].limit, 3);
  EXPECT_EQ(load[0].in_flight, 0);
  EXPECT_EQ(load[1].name, "online cfssl http://b");
  EXPECT_EQ(load[1].in_flight, 1);
  EXPECT_EQ(load[1].queued, 0);
}

TEST(AdmissionGate, RefusesALimitBelowOne) {
  EXPECT_THROW(AdmissionGate(0), std::invalid_argument);
}

}  // namespace
}  // namespace capf
