#include "capf/daemon/registry_opener.h"

#include "capf/store/postgres/pg_registry.h"
#include "capf/store/sqlite/sqlite_registry.h"

namespace capf {

Result<std::unique_ptr<Registry>> open_registry(const Config& config, const Clock& clock) {
  if (!config.store.url.empty()) {
    PgOptions options;
    if (!config.store.password_file.empty()) {
      options.password_file = config.path_in_data(config.store.password_file).string();
    }
    CAPF_ASSIGN_OR_RETURN(auto registry, PgRegistry::open(config.store.url, clock, options));
    return std::unique_ptr<Registry>(std::move(registry));
  }
  SqliteOptions options;
  options.synchronous_full = config.store.sqlite_synchronous_full;
  CAPF_ASSIGN_OR_RETURN(auto registry,
                        SqliteRegistry::open(registry_location(config), clock, options));
  return std::unique_ptr<Registry>(std::move(registry));
}

std::string registry_location(const Config& config) {
  if (!config.store.url.empty()) {
    return config.store.url;
  }
  return config.path_in_data(config.store.sqlite_path).string();
}

}  // namespace capf
