// AddressLimits: each address has its own slots; a lease gives its slot back when it ends.
#include "capf/common/address_limits.h"

#include <gtest/gtest.h>

#include <vector>

namespace capf {
namespace {

TEST(AddressLimits, EachAddressHasItsOwnSlots) {
  AddressLimits limits(2);
  auto a1 = limits.try_acquire("127.0.0.1");
  auto a2 = limits.try_acquire("127.0.0.1");
  auto a3 = limits.try_acquire("127.0.0.1");
  EXPECT_TRUE(a1);
  EXPECT_TRUE(a2);
  EXPECT_FALSE(a3) << "a third slot for the same address";
  EXPECT_TRUE(limits.try_acquire("127.0.0.2")) << "another address is not held back";
  EXPECT_EQ(limits.refused(), 1u);
  EXPECT_EQ(limits.held("127.0.0.1"), 2);
}

TEST(AddressLimits, ALeaseGivesItsSlotBackOnceWhenItEnds) {
  AddressLimits limits(1);
  {
    auto lease = limits.try_acquire("10.0.0.1");
    ASSERT_TRUE(lease);
    AddressLimits::Lease moved = std::move(lease);
    lease.release();  // the moved-from lease holds nothing: no second give-back
    EXPECT_EQ(limits.held("10.0.0.1"), 1);
    moved.release();
    EXPECT_EQ(limits.held("10.0.0.1"), 0);
  }
  auto again = limits.try_acquire("10.0.0.1");
  EXPECT_TRUE(again);
}

TEST(AddressLimits, ZeroMeansNoLimit) {
  AddressLimits limits(0);
  std::vector<AddressLimits::Lease> leases;
  for (int i = 0; i < 100; ++i) {
    leases.push_back(limits.try_acquire("192.0.2.1"));
    EXPECT_TRUE(leases.back());
  }
  EXPECT_EQ(limits.refused(), 0u);
}

}  // namespace
}  // namespace capf
