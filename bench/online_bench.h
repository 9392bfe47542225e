// `opencapf bench --ca-delay-ms MS`: installs through an online CA, a real `cfssl serve` over
// HTTPS made at run time, first answering at once and then MS later (bench/delay_proxy.h holds its
// answers back), with the same phones and concurrency: what a slow CA costs the phones. The
// opencapf server is a second data directory in the work directory, in online mode with the
// CFSSL issuer, its CA trusted for HTTPS (CAPF-trust) and for the LSCs (CallManager-trust).
#pragma once

#include <filesystem>

#include "bench/issuance_bench.h"
#include "capf/common/result.h"
#include "phone/phone_session.h"

namespace capf::bench {

// --ca-delay-ms, --ca-sessions, --ca-concurrency out of range, or --ca-delay-ms without cfssl and
// cfssljson on PATH: kInvalidArgument naming the option.
Status validate_online_options(const BenchOptions& o);

// The two online runs, appended to report.online (the CA at once, then late), with a note of what
// the delay cost. Files and logs go under `work`; `base` is the baseline's phone options (keys,
// timeouts), its trust replaced by the online server's CAPF certificate.
Status run_online_installs(const BenchOptions& o, const phone::PhoneOptions& base,
                           const std::filesystem::path& work, BenchReport& report);

}  // namespace capf::bench
