#include "tests/issuer/online/raw_http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>

#include <fmt/format.h>

#include "capf/common/strings.h"

namespace capf::testing {

namespace {

using SteadyClock = std::chrono::steady_clock;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Reads more bytes into `buffer`; false on end of stream, error or when `deadline` passes.
bool read_more(int fd, std::string& buffer, SteadyClock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now());
  if (left.count() <= 0)
    return false;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
    return false;
  char chunk[4096];
  ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
  if (n <= 0)
    return false;
  buffer.append(chunk, static_cast<std::size_t>(n));
  return true;
}

void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0)
      return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string RecordedRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name)
      return v;
  }
  return "";
}

RawHttpServer::RawHttpServer(Handler handler, Mode mode)
    : handler_(std::move(handler)), mode_(mode) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(fd, 16) != 0 || ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0)
      ::close(fd);
    return;
  }
  listen_fd_ = fd;
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

RawHttpServer::~RawHttpServer() {
  stop_ = true;
  if (thread_.joinable())
    thread_.join();
  for (int fd : held_)
    ::close(fd);
  if (listen_fd_ >= 0)
    ::close(listen_fd_);
}

std::string RawHttpServer::url(std::string_view path) const {
  return fmt::format("http://127.0.0.1:{}{}", port_, path);
}

std::vector<RecordedRequest> RawHttpServer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

void RawHttpServer::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0)
      continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0)
      continue;
    ++connections_;
    switch (mode_) {
      case Mode::kAnswer:
        answer(fd);
        ::close(fd);
        break;
      case Mode::kSilent:
        held_.push_back(fd);
        break;
      case Mode::kHangUp:
        ::close(fd);
        break;
    }
  }
}

void RawHttpServer::answer(int fd) {
  const auto deadline = SteadyClock::now() + std::chrono::seconds(5);
  std::string buffer;
  std::size_t end = std::string::npos;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    if (!read_more(fd, buffer, deadline))
      return;
    if (!std::isupper(static_cast<unsigned char>(buffer.front()))) {
      // Not HTTP (a TLS ClientHello, say): answer as an HTTP server does, at once.
      send_all(fd, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
  }
  RecordedRequest request;
  std::string_view head(buffer.data(), end);
  std::size_t line_end = head.find("\r\n");
  std::string_view request_line = head.substr(0, line_end);
  std::size_t sp1 = request_line.find(' ');
  std::size_t sp2 = request_line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 <= sp1)
    return;
  request.method = std::string(request_line.substr(0, sp1));
  request.target = std::string(request_line.substr(sp1 + 1, sp2 - sp1 - 1));
  std::size_t content_length = 0;
  while (line_end != std::string_view::npos && line_end < head.size()) {
    std::size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    std::string_view line = head.substr(
        start, line_end == std::string_view::npos ? std::string_view::npos : line_end - start);
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      continue;
    std::string name = lower(trim(line.substr(0, colon)));
    std::string value(trim(line.substr(colon + 1)));
    if (name == "content-length")
      content_length = static_cast<std::size_t>(std::stoul(value));
    request.headers.emplace_back(std::move(name), std::move(value));
  }
  if (lower(request.header("expect")) == "100-continue")
    send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n");
  const std::size_t body_start = end + 4;
  while (buffer.size() - body_start < content_length) {
    if (!read_more(fd, buffer, deadline))
      return;
  }
  request.body = buffer.substr(body_start, content_length);
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }
  CannedResponse response = handler_(request);
  std::string out = fmt::format("HTTP/1.1 {} {}\r\n", response.status, response.reason);
  for (const auto& [k, v] : response.headers)
    out += fmt::format("{}: {}\r\n", k, v);
  out += fmt::format("Content-Length: {}\r\nConnection: close\r\n\r\n", response.body.size());
  out += response.body;
  send_all(fd, out);
}

}  // namespace capf::testing
