#include "capf/service/admin_service.h"

#include "tests/service/service_fixture.h"

namespace capf::testing {
namespace {

class AdminServiceTest : public ServiceFixture {};

TEST_F(AdminServiceTest, CreatesWithDefaultsAndRecordsWhoChangedIt) {
  DeviceChange c;
  c.name = "sep001122334455";
  auto r = admin_->set_device(c, "cli:alice");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->created);
  EXPECT_EQ(r->device.name.str(), "SEP001122334455");
  EXPECT_EQ(r->device.operation, Operation::kNone);
  EXPECT_EQ(r->device.auth_mode, AuthMode::kNullString);
  EXPECT_EQ(r->device.key_order, KeyOrder::kRsaOnly);
  EXPECT_EQ(r->device.rsa_bits, 2048);
  auto history = admin_->device_history("SEP001122334455", 10);
  ASSERT_TRUE(history);
  ASSERT_FALSE(history->empty());
  EXPECT_NE(history->front().detail.find("cli:alice"), std::string::npos);
}

TEST_F(AdminServiceTest, RejectsBadValuesWithWhatToTypeInstead) {
  DeviceChange c;
  c.name = "SEP001122334455";
  c.auth_string = "12ab";
  auto r = admin_->set_device(c, "t");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("4 to 10 digits"), std::string::npos);
  c.auth_string = "123";
  EXPECT_FALSE(admin_->set_device(c, "t"));
  c.auth_string.reset();
  c.rsa_bits = 1000;
  r = admin_->set_device(c, "t");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("1024, 2048, 3072 or 4096"), std::string::npos);
  c.rsa_bits.reset();
  c.ec_bits = 224;
  EXPECT_FALSE(admin_->set_device(c, "t"));
  c.ec_bits.reset();
  c.name = "SEP12";
  r = admin_->set_device(c, "t");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("12 hex digits"), std::string::npos);
}

TEST_F(AdminServiceTest, DescriptionIsPrintableUtf8OrRefusedWithoutAChange) {
  struct Case {
    std::string description;
    const char* message;  // nullptr: accepted
  };
  const Case cases[] = {
      {"Lobby, ground floor", nullptr},
      {"Caf\xC3\xA9 \xE2\x82\xAC", nullptr},
      {"two\nlines", nullptr},  // the last accepted one: the refusals below keep it
      {"bad \xFF byte", "not valid UTF-8"},
      {"overlong \xC0\xAF", "not valid UTF-8"},
      {"carriage\rreturn", "control character (code 13)"},
      {std::string("nul\0byte", 8), "control character (code 0)"},
      {"bell\x07", "control character (code 7)"},
      {std::string(513, 'x'), "at most 512"},
  };
  for (const auto& c : cases) {
    DeviceChange change;
    change.name = "SEP001122334455";
    change.description = c.description;
    auto checked = admin_->check_device(change);
    ASSERT_TRUE(checked);
    auto r = admin_->set_device(change, "t");
    if (!c.message) {
      EXPECT_FALSE(checked->has_value()) << c.description;
      ASSERT_TRUE(r) << r.error().message;
      EXPECT_EQ(admin_->get_device("SEP001122334455")->description, c.description);
      continue;
    }
    ASSERT_TRUE(checked->has_value()) << c.description;
    EXPECT_EQ((*checked)->field, "description");
    ASSERT_FALSE(r) << c.description;
    EXPECT_NE(r.error().message.find(c.message), std::string::npos) << r.error().message;
    EXPECT_EQ(admin_->get_device("SEP001122334455")->description, "two\nlines");
  }
}

// A name an older version accepted (here with a '/') can no longer be set, but the device it
// names stays readable and removable after the upgrade.
TEST_F(AdminServiceTest, AnOlderUnsafeNameIsRefusedForNewDevicesButStaysManageable) {
  auto legacy = DeviceName::parse_stored("lab/phone");
  ASSERT_TRUE(legacy);
  Device d;
  d.name = *legacy;
  d.status = OperationStatus::none();
  d.status_time = clock_.now();
  ASSERT_TRUE(registry_->insert_device(d));

  DeviceChange change;
  change.name = "lab/phone";
  auto set = admin_->set_device(change, "t");
  ASSERT_FALSE(set);
  EXPECT_NE(set.error().message.find("'/'"), std::string::npos) << set.error().message;

  auto shown = admin_->get_device("lab/phone");
  ASSERT_TRUE(shown) << shown.error().message;
  EXPECT_FALSE(shown->name.is_file_safe());
  ASSERT_TRUE(admin_->device_history("lab/phone", 10));
  ASSERT_TRUE(admin_->remove_device("lab/phone", "t"));
  EXPECT_FALSE(admin_->get_device("lab/phone"));
}

TEST_F(AdminServiceTest, AuthStringModeNeedsAString) {
  DeviceChange c;
  c.name = "SEP001122334455";
  c.operation = Operation::kInstall;
  c.auth_mode = AuthMode::kAuthString;
  auto r = admin_->set_device(c, "t");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("--generate-auth-string"), std::string::npos);
  c.generate_auth_string = true;
  r = admin_->set_device(c, "t");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_TRUE(r->generated_auth_string);
  EXPECT_EQ(r->generated_auth_string->size(), 8u);
  EXPECT_EQ(r->device.auth_string, r->generated_auth_string);
  EXPECT_EQ(r->device.status, OperationStatus::pending());
}

TEST_F(AdminServiceTest, GeneratedStringsAreDigitsAndVary) {
  std::string a = AdminService::generate_auth_string(10);
  std::string b = AdminService::generate_auth_string(10);
  EXPECT_EQ(a.size(), 10u);
  EXPECT_EQ(a.find_first_not_of("0123456789"), std::string::npos);
  EXPECT_NE(a, b);
}

TEST_F(AdminServiceTest, PastDeadlineIsAcceptedWithAWarning) {
  DeviceChange c;
  c.name = "SEP001122334455";
  c.operation = Operation::kInstall;
  c.deadline = clock_.now() - std::chrono::hours(1);
  auto r = admin_->set_device(c, "t");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->warnings.size(), 1u);
  EXPECT_NE(r->warnings[0].find("already past"), std::string::npos);
}

TEST_F(AdminServiceTest, ClearingTheOperationClearsPending) {
  DeviceChange c;
  c.name = "SEP001122334455";
  c.operation = Operation::kInstall;
  set(c);
  c.operation = Operation::kNone;
  Device d = set(c);
  EXPECT_EQ(d.status, OperationStatus::none());
}

TEST_F(AdminServiceTest, RemoveUnknownDeviceSaysSo) {
  Status s = admin_->remove_device("SEP001122334455", "t");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kNotFound);
}

TEST_F(AdminServiceTest, TrustAddRefusesGarbageAndAddsNothing) {
  auto r = admin_->trust_add("capf-trust", as_bytes("not a certificate"), "junk.pem", "t");
  ASSERT_FALSE(r);
  auto bad_store = admin_->trust_add("tomcat-trust", as_bytes("x"), "x", "t");
  ASSERT_FALSE(bad_store);
  EXPECT_NE(bad_store.error().message.find("capf-trust, mic-trust or callmanager-trust"),
            std::string::npos);
  auto list = admin_->trust_list("capf-trust");
  ASSERT_TRUE(list);
  EXPECT_EQ(list->size(), 1u);  // only the CAPF certificate
}

}  // namespace
}  // namespace capf::testing
