// SqliteRegistry's TrustRepository: the trust_entries table and the registry_counters
// (trust_generation, crl_number).
#include "capf/store/sqlite/sqlite_registry.h"

#include <cstddef>
#include <cstdint>
#include <string>

#include <fmt/format.h>

#include "capf/store/sql_rows.h"
#include "capf/store/stored_values.h"

namespace capf {
Status SqliteRegistry::bump_trust_generation() {
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare(
          "UPDATE registry_counters SET value = value + 1 WHERE name = 'trust_generation'"));
  SqliteQuery q(*connection_, stmt);
  return q.run("bumping the trust generation");
}

Status SqliteRegistry::add_trust(const TrustEntry& entry) {
  CAPF_ASSIGN_OR_RETURN(std::string fingerprint, trust_fingerprint_to_store(entry));
  const std::string doing =
      fmt::format("adding {} ({}) to {}", entry.subject, fingerprint, entry.store);
  return write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        connection_->prepare(fmt::format(
            "INSERT INTO trust_entries ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", kTrustColumns)));
    {
      SqliteQuery q(*connection_, stmt);
      bind_trust(q, entry, fingerprint, clock_.now());
      if (auto s = q.run(doing); !s) {
        if (q.violated_constraint()) {
          return make_error(ErrorCode::kAlreadyExists, "{} ({}) is already in {}", entry.subject,
                            fingerprint, entry.store);
        }
        return s;
      }
    }
    return bump_trust_generation();
  });
}

Status SqliteRegistry::remove_trust(const std::string& store, const std::string& fingerprint) {
  CAPF_ASSIGN_OR_RETURN(std::string prefix, trust_prefix_to_match(fingerprint));
  const std::string doing = fmt::format("removing {} from {}", prefix, store);
  return write(doing, [&]() -> Status {
    std::vector<std::string> matches;
    {
      CAPF_ASSIGN_OR_RETURN(
          sqlite3_stmt * stmt,
          connection_->prepare("SELECT fingerprint FROM trust_entries WHERE store_name = ? "
                               "AND fingerprint >= ? AND fingerprint < ? "
                               "ORDER BY fingerprint LIMIT 2"));
      SqliteQuery q(*connection_, stmt);
      // prefix is non-empty hex, so it always has an upper bound.
      q.bind(store).bind(prefix).bind(prefix_upper_bound(prefix).value_or(std::string()));
      while (true) {
        CAPF_ASSIGN_OR_RETURN(bool row, q.step(doing));
        if (!row) {
          break;
        }
        matches.push_back(q.text(0));
      }
    }
    CAPF_TRY(check_trust_matches(matches.size(), prefix, fingerprint, store));
    {
      CAPF_ASSIGN_OR_RETURN(
          sqlite3_stmt * stmt,
          connection_->prepare(
              "DELETE FROM trust_entries WHERE store_name = ? AND fingerprint = ?"));
      SqliteQuery q(*connection_, stmt);
      CAPF_TRY(q.bind(store).bind(matches.front()).run(doing));
    }
    return bump_trust_generation();
  });
}

Result<std::vector<TrustEntry>> SqliteRegistry::list_trust(const std::string& store) {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare(fmt::format("SELECT {} FROM trust_entries WHERE store_name = ? "
                                       "ORDER BY subject, fingerprint",
                                       kTrustColumns)));
  SqliteQuery q(*connection_, stmt);
  q.bind(store);
  std::vector<TrustEntry> out;
  const std::string doing = fmt::format("listing {}", store);
  while (true) {
    CAPF_ASSIGN_OR_RETURN(bool row, q.step(doing));
    if (!row) {
      break;
    }
    out.push_back(read_trust(q));
  }
  return out;
}

Result<std::int64_t> SqliteRegistry::trust_generation() {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare("SELECT value FROM registry_counters WHERE name = 'trust_generation'"));
  SqliteQuery q(*connection_, stmt);
  CAPF_ASSIGN_OR_RETURN(bool row, q.step("reading the trust generation"));
  if (!row) {
    return make_error(ErrorCode::kDatabase,
                      "the registry has no trust_generation counter: restore it from a backup");
  }
  return q.integer(0);
}

Result<std::int64_t> SqliteRegistry::next_crl_number() {
  std::int64_t number = 0;
  CAPF_TRY(transact([&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(
        sqlite3_stmt * bump,
        connection_->prepare(
            "UPDATE registry_counters SET value = value + 1 WHERE name = 'crl_number'"));
    SqliteQuery b(*connection_, bump);
    CAPF_TRY(b.run("bumping the CRL number"));
    CAPF_ASSIGN_OR_RETURN(
        sqlite3_stmt * read,
        connection_->prepare("SELECT value FROM registry_counters WHERE name = 'crl_number'"));
    SqliteQuery q(*connection_, read);
    CAPF_ASSIGN_OR_RETURN(bool row, q.step("reading the CRL number"));
    if (!row) {
      return make_error(ErrorCode::kDatabase,
                        "the registry has no crl_number counter: restore it from a backup");
    }
    number = q.integer(0);
    return ok();
  }));
  return number;
}

}  // namespace capf
