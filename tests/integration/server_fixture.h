// Runs the real phone-serving stack (Environment + Daemon: TLS on loopback, SQLite registry, CAPF
// identity) in-process, and drives it with the simulated phone library or a raw TLS client.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "capf/daemon/daemon.h"
#include "capf/daemon/environment.h"
#include "phone/phone_session.h"
#include "tests/support/shell.h"
#include "tests/support/temp_dir.h"

namespace capf::testing {

class ServerFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path();
    data_ = root_ / "data";
  }

  void TearDown() override {
    daemon_.reset();
    env_.reset();
  }

  // What `start` initialises the data directory with, unless told otherwise.
  static InitOptions init_options(
      KeySpec key = {KeyType::kRsa, 2048},
      std::string subject = "CN=CAPF-it,O=opencapf test,OU=Voice,C=NZ") {
    InitOptions o;
    o.key = key;
    o.subject = std::move(subject);
    o.days = 400;
    return o;
  }

  // Initialises the data directory (with extra opencapf.toml text) and starts serving on
  // 127.0.0.1:0 (or `listen`).
  void start(const std::string& extra_toml = "", std::vector<std::string> listen = {"127.0.0.1:0"},
             InitOptions init = init_options()) {
    std::filesystem::create_directories(data_);
    {
      std::ofstream toml(data_ / "opencapf.toml");
      toml << extra_toml;  // unset settings take their defaults
    }
    if (!Environment::is_initialised(data_)) {
      auto report = Environment::init(data_, init);
      ASSERT_TRUE(report) << report.error().message;
    }
    open_and_serve(std::move(listen));
  }

  void open_and_serve(std::vector<std::string> listen) {
    auto env = Environment::open(data_);
    ASSERT_TRUE(env) << env.error().message;
    env_ = std::move(env).value();
    auto daemon =
        Daemon::create(*env_, DaemonOverrides{std::move(listen), std::nullopt, admin_listen_});
    ASSERT_TRUE(daemon) << daemon.error().message;
    daemon_ = std::move(daemon).value();
    ASSERT_TRUE(daemon_->start());
    port_ = daemon_->ports().front();
  }

  phone::PhoneOptions phone_options(const std::string& name) {
    phone::PhoneOptions o;
    o.device_name = name;
    o.host = "127.0.0.1";
    o.port = port_;
    o.server_trust = {daemon_->identity().certificate};
    o.timeout = std::chrono::seconds(10);
    return o;
  }

  phone::PhoneState& state(const std::string& name) {
    auto it = states_.find(name);
    if (it == states_.end()) {
      auto s = phone::PhoneState::load(root_ / ("phone-" + name));
      EXPECT_TRUE(s) << s.error().message;
      it = states_.emplace(name, std::make_unique<phone::PhoneState>(std::move(s).value())).first;
    }
    return *it->second;
  }

  phone::SessionReport run_phone(const phone::PhoneOptions& o) {
    phone::SessionReport r = phone::run_session_blocking(o, state(o.device_name));
    std::string lines;
    for (const auto& l : r.transcript)
      lines += "  " + l + "\n";
    last_transcript_ = lines + "  => " + r.summary;
    return r;
  }

  phone::SessionReport run_phone(const std::string& name) { return run_phone(phone_options(name)); }

  Device set(DeviceChange c) {
    auto r = env_->admin().set_device(c, "test");
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->device : Device{};
  }

  Device device(const std::string& name) {
    auto d = env_->admin().get_device(name);
    EXPECT_TRUE(d) << d.error().message;
    return d ? *d : Device{};
  }

  TempDir tmp_;
  std::filesystem::path root_;
  std::filesystem::path data_;
  std::unique_ptr<Environment> env_;
  std::unique_ptr<Daemon> daemon_;
  std::uint16_t port_ = 0;
  std::optional<std::string> admin_listen_;  // --admin (the REST API), when a test sets it
  std::map<std::string, std::unique_ptr<phone::PhoneState>> states_;
  std::string last_transcript_;
};

inline DeviceChange install(const std::string& name, AuthMode mode = AuthMode::kNullString) {
  DeviceChange c;
  c.name = name;
  c.operation = Operation::kInstall;
  c.auth_mode = mode;
  return c;
}

}  // namespace capf::testing
