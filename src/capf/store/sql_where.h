// Pieces of SQL that every SQL registry shares: a WHERE clause built from a filter with '?'
// placeholders (PostgreSQL's connection numbers them), and a LIMIT value. The filters mean the
// same in every engine because their clauses are written once, here.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "capf/store/device_store.h"

namespace capf {

// LIMIT takes a signed 64-bit value: a size_t past its range means "no limit".
inline std::int64_t to_sql_limit(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max());
  return static_cast<std::int64_t>(std::min(limit, kMax));
}

// A WHERE clause built from a filter, with its arguments in placeholder order.
struct Where {
  std::string sql;
  std::vector<std::variant<std::string, std::int64_t>> args;

  void add(std::string_view condition) {
    sql += sql.empty() ? " WHERE " : " AND ";
    sql += condition;
  }
  template <typename T>
  void add(std::string_view condition, T arg) {
    add(condition);
    args.emplace_back(std::move(arg));
  }
  // Binds the arguments to an engine's query (anything with bind(string) and bind(int64)).
  template <typename Query>
  void bind_to(Query& q) const {
    for (const auto& arg : args) {
      std::visit([&q](const auto& v) { q.bind(v); }, arg);
    }
  }
};

Where device_where(const DeviceFilter& f);
Where certificate_where(const CertificateFilter& f);
Where request_where(const RequestFilter& f);
Where audit_where(const AuditFilter& f);

}  // namespace capf
