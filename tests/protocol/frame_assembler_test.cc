// FrameAssembler: whole frames out, however the stream was cut (docs/protocol.md §2.4).
#include "capf/protocol/frame_assembler.h"

#include <gtest/gtest.h>

#include "capf/protocol/message.h"
#include "tests/protocol/test_vectors.h"
#include "tests/support/result_matchers.h"

namespace capf::protocol {
namespace {

using testing::hex;

// Drains every complete frame; fails the test on an error.
std::vector<Bytes> drain(FrameAssembler& assembler) {
  std::vector<Bytes> frames;
  for (;;) {
    auto next = assembler.next();
    EXPECT_TRUE(next) << next.error().message;
    if (!next || !next->has_value()) {
      return frames;
    }
    frames.push_back(std::move(**next));
  }
}

TEST(FrameAssembler, EverySplitPointGivesTheSameFrame) {
  for (std::string_view frame_hex : testing::all_vector_frames()) {
    Bytes frame = hex(frame_hex);
    for (std::size_t cut = 0; cut <= frame.size(); ++cut) {
      FrameAssembler assembler;
      assembler.feed(ByteView(frame).first(cut));
      std::vector<Bytes> first = drain(assembler);
      if (cut < frame.size()) {
        EXPECT_TRUE(first.empty()) << "cut " << cut << " of " << frame_hex;
      }
      assembler.feed(ByteView(frame).subspan(cut));
      std::vector<Bytes> rest = drain(assembler);
      first.insert(first.end(), rest.begin(), rest.end());
      ASSERT_EQ(first.size(), 1u) << "cut " << cut << " of " << frame_hex;
      EXPECT_EQ(first[0], frame);
      EXPECT_EQ(assembler.buffered(), 0u);
    }
  }
}

TEST(FrameAssembler, OneByteAtATime) {
  Bytes frame = hex(testing::kStoreCertificateRequestHex);
  FrameAssembler assembler;
  std::vector<Bytes> frames;
  for (std::uint8_t b : frame) {
    assembler.feed(ByteView(&b, 1));
    std::vector<Bytes> got = drain(assembler);
    frames.insert(frames.end(), got.begin(), got.end());
  }
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], frame);
}

TEST(FrameAssembler, EveryTruncationYieldsNoFrame) {
  for (std::string_view frame_hex : testing::all_vector_frames()) {
    Bytes frame = hex(frame_hex);
    for (std::size_t n = 0; n < frame.size(); ++n) {
      FrameAssembler assembler;
      assembler.feed(ByteView(frame).first(n));
      auto next = assembler.next();
      ASSERT_TRUE(next) << next.error().message;
      EXPECT_FALSE(next->has_value()) << n << " bytes of " << frame_hex;
      EXPECT_EQ(assembler.buffered(), n);
    }
  }
}

TEST(FrameAssembler, SplitsAStreamOfFrames) {
  std::vector<std::string_view> session = {
      testing::kAuthResponseHex, testing::kRequestInProgressHex, testing::kRequestInProgressHex,
      testing::kKeyGenerateResponseHex, testing::kStoreCertificateResponseHex};
  Bytes stream;
  for (std::string_view f : session) {
    append(stream, hex(f));
  }
  // Feed in chunks of 7 bytes, so headers and payloads straddle feeds.
  FrameAssembler assembler;
  std::vector<Bytes> frames;
  for (std::size_t offset = 0; offset < stream.size(); offset += 7) {
    assembler.feed(
        ByteView(stream).subspan(offset, std::min<std::size_t>(7, stream.size() - offset)));
    std::vector<Bytes> got = drain(assembler);
    frames.insert(frames.end(), got.begin(), got.end());
  }
  ASSERT_EQ(frames.size(), session.size());
  for (std::size_t i = 0; i < session.size(); ++i) {
    EXPECT_EQ(to_hex(frames[i]), session[i]);
  }
  EXPECT_EQ(assembler.buffered(), 0u);
}

TEST(FrameAssembler, RejectsANonCapfHeaderOnceEightBytesArrive) {
  FrameAssembler assembler;
  Bytes not_capf = hex("16 03 01 02 00 01 00 01 fc");  // a TLS ClientHello record
  assembler.feed(ByteView(not_capf).first(7));
  auto waiting = assembler.next();
  ASSERT_TRUE(waiting);
  EXPECT_FALSE(waiting->has_value());
  assembler.feed(ByteView(not_capf).subspan(7));
  auto bad = assembler.next();
  EXPECT_THAT(bad, FailsWith(ErrorCode::kMalformed, "protocol id 0x16, expected 0x55"));
  // The stream stays unusable.
  assembler.feed(hex(testing::kRequestInProgressHex));
  EXPECT_FALSE(assembler.next());
}

TEST(FrameAssembler, HandlesTheLargestFrame) {
  Message m{12, 1, {Element{4, Bytes(kMaxPayload - 3, 0x30)}}};
  auto frame = encode(m);
  ASSERT_TRUE(frame);
  ASSERT_EQ(frame->size(), kHeaderSize + kMaxPayload);
  FrameAssembler assembler;
  assembler.feed(ByteView(*frame).first(kHeaderSize + 1000));
  auto partial = assembler.next();
  ASSERT_TRUE(partial);
  EXPECT_FALSE(partial->has_value());
  assembler.feed(ByteView(*frame).subspan(kHeaderSize + 1000));
  std::vector<Bytes> frames = drain(assembler);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0], *frame);
}

}  // namespace
}  // namespace capf::protocol
