// HttpClient keeps its connections to a CA open between requests (keep-alive): sequential
// requests share one connection, and concurrent ones each reuse one afterwards. Against a real
// HTTP/1.1 server on 127.0.0.1 that counts connections.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "capf/issuer/online/http_client.h"
#include "tests/issuer/online/held_http_server.h"

namespace capf {
namespace {

using testing::HeldHttpServer;
using testing::HoldPolicy;

std::unique_ptr<HttpClient> plain_client() {
  HttpClientOptions options;
  options.retries = 0;
  auto client = HttpClient::create(options);
  EXPECT_TRUE(client) << client.error().message;
  return client ? std::move(client).value() : nullptr;
}

HttpRequest post(const HeldHttpServer& server) {
  HttpRequest request;
  request.method = "POST";
  request.url = server.url("/api/v1/cfssl/sign");
  request.headers = {{"Content-Type", "application/json"}};
  request.body = R"({"certificate_request":"x"})";
  return request;
}

TEST(HttpClientReuse, SequentialRequestsShareOneConnection) {
  HeldHttpServer server(HoldPolicy{1, std::chrono::seconds(10), "signed"});
  auto client = plain_client();
  ASSERT_TRUE(client);
  for (int i = 0; i < 3; ++i) {
    auto response = client->send(post(server));
    ASSERT_TRUE(response) << response.error().message;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "signed");
  }
  EXPECT_EQ(server.requests(), 3);
  EXPECT_EQ(server.connections(), 1) << "each request opened its own connection";
}

TEST(HttpClientReuse, ConcurrentRequestsOpenOneConnectionEachAndReuseThemAfterwards) {
  constexpr int kThreads = 4;
  // Every request is held until all four are at the server: four connections at once.
  HeldHttpServer server(HoldPolicy{kThreads, std::chrono::seconds(10), "ok"});
  auto client = plain_client();
  ASSERT_TRUE(client);
  std::atomic<int> answered{0};
  for (int round = 0; round < 2; ++round) {
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
      threads.emplace_back([&] {
        auto response = client->send(post(server));
        if (response && response->status == 200)
          ++answered;
      });
    }
    for (auto& t : threads)
      t.join();
  }
  EXPECT_EQ(answered.load(), 2 * kThreads);
  EXPECT_EQ(server.peak_held(), kThreads);
  EXPECT_EQ(server.connections(), kThreads) << "the second round opened new connections";
}

}  // namespace
}  // namespace capf
