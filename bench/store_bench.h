// `opencapf bench --store URL [--nodes N]`: the install phase again with the registry in an empty
// PostgreSQL database, after the SQLite baseline: the bench makes a cluster there (`opencapf init`
// of N data directories on the same URL, the first creating it and the others joining), starts an
// `opencapf serve` for each, and drives the phones round robin over them, first through one node
// and then, with N > 1, through all N.
#pragma once

#include <filesystem>
#include <string>

#include "bench/issuance_bench.h"
#include "capf/common/result.h"
#include "phone/phone_session.h"

namespace capf::bench {

// --nodes without --store, or out of 1..3: kInvalidArgument naming the option.
Status validate_store_options(const BenchOptions& o);

// Before anything runs: the URL is a libpq connection string without a password, the database
// can be reached, and it is empty (no table in any schema but PostgreSQL's own). Each refusal is
// the product's one line naming the fix.
Status check_store(const std::string& url);

// The PostgreSQL install runs, appended to report.engines (one node, then o.nodes when more than
// one). The nodes' data directories and logs go under `work`; `base` is the phones' options of
// the baseline (keys, timeouts), its trust replaced by the cluster's CAPF certificate.
Status run_store_installs(const BenchOptions& o, const phone::PhoneOptions& base,
                          const std::filesystem::path& work, BenchReport& report);

}  // namespace capf::bench
