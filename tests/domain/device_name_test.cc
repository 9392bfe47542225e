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
  EXPECT_FALSE(DeviceName::parse("CSFj/smith"));
}

TEST(DeviceName, OtherClients) {
  EXPECT_TRUE(DeviceName::parse("CTI-App-1"));
  EXPECT_TRUE(DeviceName::parse("cti_app.2"));
  EXPECT_TRUE(DeviceName::parse("9lives"));
  EXPECT_FALSE(DeviceName::parse(""));
  EXPECT_FALSE(DeviceName::parse(std::string(65, 'A')));
  EXPECT_TRUE(DeviceName::parse(std::string(64, 'A')));
}

// Names are file names (offline export writes DIR/<name>.csr) and CSV cells: anything that is a
// path, an option, a separator or a formula is refused, with one message naming the character
// and listing what is allowed.
TEST(DeviceName, RefusesUnsafeGenericNames) {
  const struct {
    std::string name;
    std::string named;  // how the message names the bad character
  } kCases[] = {
      {"../../etc/x", "'.' at character 1"},
      {"a/b", "'/' at character 2"},
      {"..", "'.' at character 1"},
      {".hidden", "'.' at character 1"},
      {"-rf", "'-' at character 1"},
      {"_x", "'_' at character 1"},
      {"a,b", "','"},
      {"CN=x", "'='"},
      {"=HYPERLINK(1)", "'=' at character 1"},
      {"+1", "'+'"},
      {"@SUM", "'@'"},
      {"a\\b", "'\\'"},
      {"has space", "the byte 0x20"},
      {"tab\tname", "the byte 0x09"},
      {std::string("nul\0x", 5), "the byte 0x00"},
      {"caf\xc3\xa9", "the byte 0xc3"},
  };
  for (const auto& c : kCases) {
    auto n = DeviceName::parse(c.name);
    ASSERT_FALSE(n) << c.name;
    EXPECT_NE(n.error().message.find(c.named), std::string::npos) << n.error().message;
    EXPECT_NE(n.error().message.find("use letters, digits, '.', '_' and '-'"), std::string::npos)
        << n.error().message;
  }
}

// Devices stored by an older version under a name parse now refuses stay readable (so they can
// be listed and removed), and are known not to be file-safe; nothing else gets through.
TEST(DeviceName, StoredNamesFromOlderVersionsStayReadable) {
  for (const char* legacy : {"../x", "a,b", "=cmd", "a/b/../c"}) {
    auto n = DeviceName::parse_stored(legacy);
    ASSERT_TRUE(n) << legacy;
    EXPECT_EQ(n->str(), legacy);
    EXPECT_FALSE(n->is_file_safe());
  }
  for (const char* fine : {"SEP001122AABBCC", "CSFjsmith", "CTI-App-1"}) {
    auto n = DeviceName::parse_stored(fine);
    ASSERT_TRUE(n) << fine;
    EXPECT_TRUE(n->is_file_safe());
  }
  // What no version ever accepted stays refused.
  for (const std::string& bad :
       {std::string(), std::string("has space"), std::string(65, 'A'), std::string("SEP12"),
        std::string("CSF/x"), std::string("a\x7f")}) {
    EXPECT_FALSE(DeviceName::parse_stored(bad)) << bad;
  }
}

}  // namespace
}  // namespace capf
