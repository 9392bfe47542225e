// SqlRegistry's TrustRepository: the trust_entries table and the registry_counters
// (trust_generation, crl_number).
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "capf/store/sql/sql_registry.h"
#include "capf/store/sql_rows.h"
#include "capf/store/stored_values.h"

namespace capf {

Status SqlRegistry::add_trust(const TrustEntry& entry) {
  CAPF_ASSIGN_OR_RETURN(std::string fingerprint, trust_fingerprint_to_store(entry));
  const std::string doing =
      fmt::format("adding {} ({}) to {}", entry.subject, fingerprint, entry.store);
  return write(doing, [&]() -> Status {
    auto insert = query(fmt::format(
        "INSERT INTO trust_entries ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", kTrustColumns));
    bind_trust(*insert, entry, fingerprint, clock_.now());
    if (auto added = insert->run(doing); !added) {
      if (added.error().code == ErrorCode::kAlreadyExists) {
        return make_error(ErrorCode::kAlreadyExists, "{} ({}) is already in {}", entry.subject,
                          fingerprint, entry.store);
      }
      return added.error();
    }
    CAPF_TRY(bump_counter("trust_generation", "bumping the trust generation"));
    return ok();
  });
}

Status SqlRegistry::remove_trust(const std::string& store, const std::string& fingerprint) {
  CAPF_ASSIGN_OR_RETURN(std::string prefix, trust_prefix_to_match(fingerprint));
  const std::string doing = fmt::format("removing {} from {}", prefix, store);
  return write(doing, [&]() -> Status {
    std::vector<std::string> matches;
    {
      auto q = query(
          "SELECT fingerprint FROM trust_entries WHERE store_name = ? "
          "AND fingerprint >= ? AND fingerprint < ? ORDER BY fingerprint LIMIT 2");
      // prefix is non-empty hex, so it always has an upper bound.
      q->bind(store).bind(prefix).bind(prefix_upper_bound(prefix).value_or(std::string()));
      CAPF_ASSIGN_OR_RETURN(matches, read_all<std::string>(*q, doing, [](const SqlStatement& r) {
                              return r.text(0);
                            }));
    }
    CAPF_TRY(check_trust_matches(matches.size(), prefix, fingerprint, store));
    CAPF_TRY(query("DELETE FROM trust_entries WHERE store_name = ? AND fingerprint = ?")
                 ->bind(store)
                 .bind(matches.front())
                 .run(doing));
    CAPF_TRY(bump_counter("trust_generation", "bumping the trust generation"));
    return ok();
  });
}

Result<std::vector<TrustEntry>> SqlRegistry::list_trust(const std::string& store) {
  std::lock_guard lock(mu_);
  auto q = query(
      fmt::format("SELECT {} FROM trust_entries WHERE store_name = ? ORDER BY subject, fingerprint",
                  kTrustColumns));
  q->bind(store);
  return read_all<TrustEntry>(*q, fmt::format("listing {}", store), read_trust<SqlStatement>);
}

Result<std::int64_t> SqlRegistry::trust_generation() {
  std::lock_guard lock(mu_);
  auto q = query("SELECT value FROM registry_counters WHERE name = 'trust_generation'");
  CAPF_ASSIGN_OR_RETURN(bool row, q->step("reading the trust generation"));
  if (!row) {
    return make_error(ErrorCode::kDatabase,
                      "the registry has no trust_generation counter: restore it from a backup");
  }
  return q->integer(0);
}

Result<std::int64_t> SqlRegistry::next_crl_number() {
  std::int64_t number = 0;
  CAPF_TRY(write("bumping the CRL number", [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(number, bump_counter("crl_number", "bumping the CRL number"));
    return ok();
  }));
  return number;
}

}  // namespace capf
