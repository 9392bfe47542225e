#include "capf/issuer/online/scep/scep_ticket.h"

#include <nlohmann/json.hpp>

#include "capf/issuer/online/json_text.h"
#include "capf/issuer/online/scep/scep_message.h"

namespace capf::scep {

namespace {

constexpr int kTicketVersion = 1;

Error bad_ticket(std::string_view why) {
  return make_error(ErrorCode::kInvalidArgument,
                    "not a scep poll ticket: {} (it must come from this issuer's PENDING answer)",
                    why);
}

Result<std::string> text_field(const nlohmann::json& json, const char* name) {
  auto it = json.find(name);
  if (it == json.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return bad_ticket(fmt::format("'{}' is missing", name));
  }
  return it->get<std::string>();
}

Result<Bytes> binary_field(const nlohmann::json& json, const char* name) {
  CAPF_ASSIGN_OR_RETURN(std::string text, text_field(json, name));
  std::optional<Bytes> bytes = from_base64(text);
  if (!bytes || bytes->empty()) {
    return bad_ticket(fmt::format("'{}' is not base64", name));
  }
  return *bytes;
}

}  // namespace

std::string encode_ticket(const PollTicket& ticket) {
  nlohmann::json json = {
      {"scep", kTicketVersion},
      {"url", ticket.url},
      {"transaction_id", ticket.transaction_id},
      {"device", ticket.device_name},
      {"spki", to_base64(ticket.spki_der)},
      {"key_type", ticket.key.type == KeyType::kRsa ? "rsa" : "ec"},
      {"key_bits", ticket.key.bits},
      {"requester_certificate", ticket.requester_certificate_pem},
      {"requester_key", ticket.requester_key_pem},
      {"issuer", to_base64(ticket.issuer_der)},
      {"subject", to_base64(ticket.subject_der)},
  };
  // Invalid UTF-8 (never expected: PEM, base64 and ASCII names) is replaced instead of thrown.
  return json_text(json);
}

Result<PollTicket> decode_ticket(std::string_view text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    return bad_ticket("it is not a json object");
  }
  auto version = json.find("scep");
  if (version == json.end() || !version->is_number_integer() ||
      version->get<int>() != kTicketVersion) {
    return bad_ticket("it has no 'scep' version 1");
  }
  PollTicket ticket;
  CAPF_ASSIGN_OR_RETURN(ticket.url, text_field(json, "url"));
  CAPF_ASSIGN_OR_RETURN(ticket.transaction_id, text_field(json, "transaction_id"));
  CAPF_ASSIGN_OR_RETURN(ticket.device_name, text_field(json, "device"));
  CAPF_ASSIGN_OR_RETURN(ticket.spki_der, binary_field(json, "spki"));
  CAPF_ASSIGN_OR_RETURN(std::string key_type, text_field(json, "key_type"));
  auto bits = json.find("key_bits");
  if ((key_type != "rsa" && key_type != "ec") || bits == json.end() || !bits->is_number_integer()) {
    return bad_ticket("'key_type' or 'key_bits' is wrong");
  }
  ticket.key = KeySpec{key_type == "rsa" ? KeyType::kRsa : KeyType::kEc, bits->get<int>()};
  CAPF_ASSIGN_OR_RETURN(ticket.requester_certificate_pem,
                        text_field(json, "requester_certificate"));
  CAPF_ASSIGN_OR_RETURN(ticket.requester_key_pem, text_field(json, "requester_key"));
  CAPF_ASSIGN_OR_RETURN(ticket.issuer_der, binary_field(json, "issuer"));
  CAPF_ASSIGN_OR_RETURN(ticket.subject_der, binary_field(json, "subject"));
  return ticket;
}

}  // namespace capf::scep
