// libFuzzer driver for the CAPF codec: decode, every typed parser, the nested-value parsers, and
// re-encoding of whatever parsed. Any inconsistency aborts, so libFuzzer reports it as a crash.

#include "capf/protocol/message.h"
#include "fuzz/fuzz_util.h"

namespace capf::protocol {
namespace {

using capf::fuzz::require;

// The Message codec is canonical: decoding then encoding gives back the same bytes.
void check_message_round_trip(ByteView input, const Message& m) {
  auto again = encode(m);
  require(again.has_value(), "a decoded message encodes");
  require(Bytes(input.begin(), input.end()) == *again, "decode then encode is the identity");
}

// Typed round trip: parse, build, encode, decode, parse again, build again. The second build must
// equal the first (typed parsing is idempotent on what the builders write).
template <typename Parse>
void check_typed(const Message& decoded, Command command, Parse parse, bool may_grow = false) {
  Message m = decoded;
  m.command = static_cast<std::uint8_t>(command);
  auto typed = parse(m);
  if (!typed) {
    require(!typed.error().message.empty(), "errors carry a message");
    return;
  }
  Message built = to_message(m.session_id, *typed);
  require(built.command == m.command, "builder keeps the command");
  auto bytes = encode(built);
  if (!bytes) {
    // Only a builder that adds an element the input lacked can outgrow the payload limit.
    require(may_grow && bytes.error().code == ErrorCode::kInvalidArgument,
            "a parsed message re-encodes");
    return;
  }
  auto back = decode(*bytes);
  require(back.has_value() && *back == built, "built message decodes to itself");
  auto typed_again = parse(*back);
  require(typed_again.has_value(), "built message parses");
  auto bytes_again = encode(to_message(m.session_id, *typed_again));
  require(bytes_again.has_value() && *bytes_again == *bytes, "typed parse is idempotent");
}

void check_all_parsers(const Message& m) {
  check_typed(m, Command::kAuthRequest, parse_auth_request);
  check_typed(m, Command::kKeyGenerateRequest, parse_key_generate_request);
  check_typed(m, Command::kStoreCertificateRequest, parse_store_certificate_request, true);
  check_typed(m, Command::kFetchCertificateRequest, parse_fetch_certificate_request);
  check_typed(m, Command::kEndSession, parse_end_session);
  check_typed(m, Command::kSignCertificateRequest, parse_sign_certificate_request);
  check_typed(m, Command::kAuthResponse, parse_auth_response);
  check_typed(m, Command::kKeyGenerateResponse, parse_key_generate_response);
  check_typed(m, Command::kStoreCertificateResponse, parse_store_certificate_response);
  check_typed(m, Command::kFetchCertificateResponse, parse_fetch_certificate_response);
  check_typed(m, Command::kDeleteCertificateResponse, parse_delete_certificate_response);
  check_typed(m, Command::kSignCertificateResponse, parse_sign_certificate_response);
  // The parsers must also refuse a message carrying another command.
  Message wrong = m;
  wrong.command = static_cast<std::uint8_t>(Command::kRetryLater);
  require(!parse_auth_response(wrong), "parsers check the command");
}

// The nested encodings are canonical too: whatever parses builds back to the same bytes.
void check_nested(ByteView input) {
  Bytes original(input.begin(), input.end());
  if (auto items = parse_certificate_value(input)) {
    require(!items->empty(), "a certificate value has an item");
    require(build_certificate_value(*items) == original, "certificate value round trip");
  }
  if (auto sig = parse_hashed_signature(input)) {
    require(build_hashed_signature(*sig) == original, "hashed signature round trip");
  }
  if (auto sudi = parse_sudi_data(input)) {
    require(build_sudi_data(*sudi) == original, "SUDI_DATA round trip");
  }
  if (auto elements = parse_elements(input)) {
    auto frame = encode(Message{0, 0, *elements});
    require(frame.has_value() || input.size() > kMaxPayload, "parsed elements encode");
    if (frame) {
      require(Bytes(frame->begin() + kHeaderSize, frame->end()) == original,
              "element list round trip");
    }
  }
}

}  // namespace
}  // namespace capf::protocol

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace capf::protocol;
  capf::ByteView input(data, size);
  if (input.size() >= kHeaderSize) {
    (void)parse_header(input.first(kHeaderSize));
  }
  if (auto m = decode(input)) {
    check_message_round_trip(input, *m);
    check_all_parsers(*m);
  }
  check_nested(input);
  return 0;
}
