// One readable line per CAPF message, for the simulator's transcript and test diagnostics:
// "KEY_GENERATE_REQUEST key_type=ec curve=P-256", "AUTH_RESPONSE reason=1 version=3
// password=<empty> device=SEP001122334455". Passwords are never shown, only their length.
#pragma once

#include <string>

#include "capf/protocol/message.h"

namespace capf::phone {

std::string describe_message(const protocol::Message& message);

}  // namespace capf::phone
