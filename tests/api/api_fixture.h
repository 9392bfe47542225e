// The admin REST API over real HTTPS against the real daemon (ServerFixture with the admin
// listener on 127.0.0.1): a client that verifies the listener's own certificate, tokens of each
// role, and one call at a time.
#pragma once

#include <fstream>
#include <iterator>
#include <string>

#include <nlohmann/json.hpp>

#include "capf/api/admin_tls.h"
#include "capf/issuer/online/http_client.h"
#include "capf/pki/certificate.h"
#include "tests/integration/server_fixture.h"

namespace capf::testing {

class ApiFixture : public ServerFixture {
 protected:
  void SetUp() override {
    ServerFixture::SetUp();
    admin_listen_ = "127.0.0.1:0";
    ASSERT_NO_FATAL_FAILURE(start());
    ASSERT_TRUE(daemon_->admin_port().has_value());
    api_port_ = *daemon_->admin_port();
    ASSERT_NE(api_port_, 0);
    HttpClientOptions o;
    // The admin listener's own certificate (made by init), not the CAPF one.
    std::ifstream pem(data_ / api::kAdminCertFile);
    auto admin_cert = pki::Certificate::from_pem(
        std::string(std::istreambuf_iterator<char>(pem), std::istreambuf_iterator<char>()));
    ASSERT_TRUE(admin_cert) << admin_cert.error().message;
    o.trust = {*admin_cert};
    o.verify_host = false;  // it names the host opencapf was initialised on, not 127.0.0.1
    o.retries = 0;
    o.timeout = std::chrono::seconds(20);
    auto client = HttpClient::create(o);
    ASSERT_TRUE(client) << client.error().message;
    client_ = std::move(client).value();
    admin_token_ = token(AdminRole::kAdmin);
  }

  std::string token(AdminRole role, const std::string& name = "test") {
    auto created = env_->access().create_token(name, role, "test");
    EXPECT_TRUE(created) << created.error().message;
    return created ? created->secret : std::string();
  }

  HttpResponse call(const std::string& method, const std::string& path,
                    const std::string& bearer = "", const std::string& body = "",
                    const std::string& content_type = "application/json") {
    HttpRequest r;
    r.method = method;
    r.url = "https://127.0.0.1:" + std::to_string(api_port_) + path;
    if (!bearer.empty())
      r.headers.emplace_back("Authorization", "Bearer " + bearer);
    if (!body.empty())
      r.headers.emplace_back("Content-Type", content_type);
    r.body = body;
    auto response = client_->send(r);
    EXPECT_TRUE(response) << method << " " << path << ": " << response.error().message;
    return response ? *response : HttpResponse{};
  }

  static nlohmann::json body_of(const HttpResponse& r) {
    nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << r.body;
    return j;
  }

  std::uint16_t api_port_ = 0;
  std::unique_ptr<HttpClient> client_;
  std::string admin_token_;
};

}  // namespace capf::testing
