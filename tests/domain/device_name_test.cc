#include "capf/domain/device_name.h"

#include <gtest/gtest.h>

namespace capf {
namespace {

TEST(DeviceName, AcceptsPhoneNamesAndUpperCasesThem) {
  auto n = DeviceName::parse("sep001122aabbcc");
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n->str(), "SEP001122AABBCC");
  EXPECT_TRUE(n->is_phone());
}

TEST(DeviceName, RejectsBadPhoneNames) {
  for (const char* bad : {"SEP0011223344", "SEP00112233445566", "SEP00112233445G", "SEP"}) {
    auto n = DeviceName::parse(bad);
    ASSERT_FALSE(n) << bad;
    EXPECT_NE(n.error().message.find("12 hex digits"), std::string::npos);
  }
}

TEST(DeviceName, JabberNames) {
  EXPECT_TRUE(DeviceName::parse("CSFjsmith"));
  EXPECT_TRUE(DeviceName::parse("BOTJSMITH"));
  EXPECT_TRUE(DeviceName::parse("TCTJ.SMITH-2"));
  EXPECT_TRUE(DeviceName::parse("TABJSMITH"));
  EXPECT_FALSE(DeviceName::parse("BOTjsmith"));  // mobile names are upper-case
  EXPECT_FALSE(DeviceName::parse("CSF"));
  EXPECT_FALSE(DeviceName::parse("CSFthisnameistoolong"));
  EXPECT_FALSE(DeviceName::parse("CSFj smith"));
}

TEST(DeviceName, OtherClients) {
  EXPECT_TRUE(DeviceName::parse("CTI-App-1"));
  EXPECT_FALSE(DeviceName::parse(""));
  EXPECT_FALSE(DeviceName::parse(std::string(65, 'A')));
  EXPECT_TRUE(DeviceName::parse(std::string(64, 'A')));
  EXPECT_FALSE(DeviceName::parse("has space"));
  EXPECT_FALSE(DeviceName::parse(std::string("nul\0x", 5)));
}

}  // namespace
}  // namespace capf
