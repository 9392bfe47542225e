// PgRegistry: the registry in a PostgreSQL database, for several opencapf nodes sharing one fleet
// (docs/cluster.md). The same tables as SQLite (store/migrations.h) and the same store code
// (SqlRegistry, store/sql/); this is PostgreSQL's part: connecting, the locks between nodes and
// what a foreign database looks like.
//
// Other nodes and processes have their own connections: rows are changed by conditional UPDATEs
// (row locks), counters by UPDATE ... RETURNING and ids by identity sequences, so nothing repeats
// across nodes. The schema is migrated by whichever node opens the database first, under a
// transaction-scoped advisory lock. A lost connection fails the call with kUnavailable and is
// re-established by the next call outside a transaction.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/store/postgres/pg_connection.h"
#include "capf/store/sql/sql_registry.h"

namespace capf {

class PgRegistry final : public SqlRegistry {
 public:
  // Connects to `url` (postgresql://USER@HOST:PORT/DATABASE or libpq's key=value form) and
  // brings the schema up to date. Errors, each naming the fix: kInvalidArgument for a malformed
  // URL or one with a password; kUnavailable when the server cannot be reached; kDatabase when
  // the database holds another program's tables or a schema newer than this build (nothing is
  // written then). `clock` must outlive the registry.
  static Result<std::unique_ptr<PgRegistry>> open(const std::string& url, const Clock& clock,
                                                  const PgOptions& options = {});

 private:
  // Takes ownership of `connection`.
  PgRegistry(PgConnection* connection, const Clock& clock);

  Status check_before_migration() override;
  std::string_view upgrade_advice() const override {
    return "upgrade opencapf on this node to the version the other nodes run";
  }
  Status lock_device_requests(const std::string& device_name, std::string_view doing) override;
};

}  // namespace capf
