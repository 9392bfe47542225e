#include "capf/protocol/frame_assembler.h"

#include "capf/protocol/message.h"

namespace capf::protocol {

void FrameAssembler::feed(ByteView bytes) {
  append(buffer_, bytes);
}

Result<std::optional<Bytes>> FrameAssembler::next() {
  if (buffer_.size() < kHeaderSize) {
    return std::optional<Bytes>();
  }
  // The header is checked as soon as it is complete, so a stream that is not CAPF fails at once
  // instead of after up to 64 KiB of waiting. The error is sticky: the bad header stays buffered.
  CAPF_ASSIGN_OR_RETURN(Header header, parse_header(ByteView(buffer_).first(kHeaderSize)));
  std::size_t frame_size = kHeaderSize + header.payload_length;
  if (buffer_.size() < frame_size) {
    return std::optional<Bytes>();
  }
  auto end = buffer_.begin() + static_cast<std::ptrdiff_t>(frame_size);
  Bytes frame(buffer_.begin(), end);
  buffer_.erase(buffer_.begin(), end);
  return std::optional<Bytes>(std::move(frame));
}

}  // namespace capf::protocol
