// FrameAssembler: cuts a byte stream into whole CAPF frames, however the bytes were split into
// reads (a header may arrive in pieces, docs/protocol.md §2.4). Holds at most one frame plus one
// read.
#pragma once

#include <optional>

#include "capf/common/bytes.h"
#include "capf/common/result.h"

namespace capf::protocol {

class FrameAssembler {
 public:
  void feed(ByteView bytes);
  // The next complete frame (header + payload) if one is buffered; nullopt if more bytes are
  // needed; kMalformed if the buffered header is not a CAPF header (the stream is then unusable).
  Result<std::optional<Bytes>> next();
  std::size_t buffered() const { return buffer_.size(); }

 private:
  Bytes buffer_;
};

}  // namespace capf::protocol
