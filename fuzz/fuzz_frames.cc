// libFuzzer driver for FrameAssembler and ServerSession. Input layout:
//   bytes 0-1  split point (big-endian, modulo the stream size + 1): the first feed ends there
//   byte  2    chunk size for the rest of the stream (0 = all at once, else 1-64 bytes per feed)
//   bytes 3-6  decisions: which request the server sends next after each client reply
//   the rest   the client's byte stream
// The assembler's frames must not depend on how the stream was cut, and the session must accept
// every send that is legal after the event it reported.
#include <algorithm>
#include <variant>

#include "capf/protocol/frame_assembler.h"
#include "capf/protocol/server_session.h"
#include "fuzz/fuzz_util.h"

namespace capf::protocol {
namespace {

constexpr std::size_t kControlSize = 7;
constexpr std::uint32_t kSessionId = 0x2a;

using capf::fuzz::require;

struct Cut {
  std::vector<Bytes> frames;
  bool failed = false;
};

// Drains the assembler after each feed; stops at the first error.
void drain(FrameAssembler& assembler, Cut& cut) {
  while (!cut.failed) {
    auto next = assembler.next();
    if (!next) {
      cut.failed = true;
      return;
    }
    if (!next->has_value()) {
      return;
    }
    require((*next)->size() >= kHeaderSize, "a frame holds a header");
    auto header = parse_header(ByteView(**next).first(kHeaderSize));
    require(header.has_value(), "a frame's header parses");
    require((*next)->size() == kHeaderSize + header->payload_length, "a frame is whole");
    cut.frames.push_back(std::move(**next));
  }
}

Cut assemble(ByteView stream, std::size_t split, std::size_t chunk) {
  Cut cut;
  FrameAssembler assembler;
  assembler.feed(stream.first(split));
  drain(assembler, cut);
  std::size_t offset = split;
  while (offset < stream.size() && !cut.failed) {
    std::size_t n = chunk == 0 ? stream.size() - offset : std::min(chunk, stream.size() - offset);
    assembler.feed(stream.subspan(offset, n));
    drain(assembler, cut);
    offset += n;
  }
  require(cut.failed || assembler.buffered() < kHeaderSize + kMaxPayload,
          "the assembler holds less than one whole frame after draining");
  return cut;
}

class SessionDriver {
 public:
  SessionDriver(ByteView decisions) : decisions_(decisions) {
    require(session_.send(AuthRequest{}).has_value(), "AUTH_REQUEST is legal at the start");
  }

  void on_frame(ByteView frame) {
    auto event = session_.receive(frame);
    if (session_.state() == ServerState::kEnded) {
      require(!event, "nothing is received after END_SESSION");
      return;
    }
    if (!event) {
      require(!event.error().message.empty(), "errors carry a message");
      require(session_.send(EndSession{reason::kFailure}).has_value(), "END_SESSION is legal");
      return;
    }
    std::visit([this](const auto& e) { respond(e); }, *event);
  }

 private:
  std::uint8_t decide() { return decisions_[next_decision_++ % decisions_.size()]; }

  template <typename T>
  void must_send(const T& m, const char* what) {
    require(session_.send(m).has_value(), what);
  }

  void respond(const AuthResponse&) {
    switch (decide() % 5) {
      case 0:
        return must_send(KeyGenerateRequest{kKeyTypeEc, std::nullopt, kCurveP256}, "EC keygen");
      case 1:
        return must_send(KeyGenerateRequest{kKeyTypeRsa, 2048, std::nullopt}, "RSA keygen");
      case 2:
        return must_send(FetchCertificateRequest{}, "fetch after auth");
      case 3:
        return must_send(DeleteCertificateRequest{}, "delete after auth");
      default:
        return must_send(EndSession{reason::kUnknownDevice}, "end after auth");
    }
  }
  void respond(const RequestInProgress&) {
    ServerState s = session_.state();
    require(s == ServerState::kWaitKey || s == ServerState::kWaitSign, "progress only while busy");
    require(!session_.send(StoreCertificateRequest{}).has_value(),
            "no store while a reply is pending");
  }
  void respond(const KeyGenerateResponse&) {
    switch (decide() % 4) {
      case 0:
        return must_send(StoreCertificateRequest{cert_type::kLsc, {0x30, 0x00}}, "store");
      case 1:
        return must_send(SignCertificateRequest{hash_id::kSha256, {0x30, 0x00}}, "sign");
      case 2:
        return must_send(KeyGenerateRequest{kKeyTypeRsa, 2048, std::nullopt}, "fallback");
      default:
        return must_send(EndSession{reason::kFailure}, "end after key");
    }
  }
  void respond(const SignCertificateResponse&) {
    if (decide() % 2 == 0) {
      return must_send(StoreCertificateRequest{cert_type::kLsc, {0x30, 0x00}}, "store after sign");
    }
    must_send(EndSession{reason::kFailure}, "end after sign");
  }
  void respond(const StoreCertificateResponse& r) { end_with(r.reason); }
  void respond(const FetchCertificateResponse&) { end_with(reason::kNoAction); }
  void respond(const DeleteCertificateResponse& r) { end_with(r.reason); }

  void end_with(std::uint8_t reason) {
    require(!session_.send(KeyGenerateRequest{}).has_value(), "no keygen after the last reply");
    must_send(EndSession{reason}, "end after the last reply");
  }

  ServerSession session_{kSessionId};
  ByteView decisions_;
  std::size_t next_decision_ = 0;
};

}  // namespace
}  // namespace capf::protocol

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace capf::protocol;
  if (size < kControlSize) {
    return 0;
  }
  capf::ByteView input(data, size);
  capf::ByteView stream = input.subspan(kControlSize);
  std::size_t split = capf::get_u16be(data) % (stream.size() + 1);
  std::size_t chunk = data[2] == 0 ? 0 : data[2] % 64 + 1;

  Cut whole = assemble(stream, stream.size(), 0);
  Cut pieces = assemble(stream, split, chunk);
  require(whole.frames == pieces.frames, "frames do not depend on how the stream was cut");
  require(whole.failed == pieces.failed, "errors do not depend on how the stream was cut");
  capf::Bytes joined;
  for (const capf::Bytes& frame : whole.frames) {
    capf::append(joined, frame);
  }
  require(
      joined.size() <= stream.size() && std::equal(joined.begin(), joined.end(), stream.begin()),
      "frames are a prefix of the stream");

  SessionDriver driver(input.subspan(3, 4));
  for (const capf::Bytes& frame : whole.frames) {
    driver.on_frame(frame);
  }
  return 0;
}
