// The one place that picks the registry's engine: PostgreSQL when a store URL is in effect
// (--store, which sets OPENCAPF_STORE, or [store] url), else the SQLite file in the data
// directory. Used by Environment::open and Environment::init.
#pragma once

#include <memory>
#include <string>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/config/config.h"
#include "capf/store/device_store.h"

namespace capf {

// Opens (creating or migrating) the registry `config` names. `clock` must outlive it. Errors name
// the store (the SQLite path or the URL) and the fix.
Result<std::unique_ptr<Registry>> open_registry(const Config& config, const Clock& clock);

// Where the registry is, for logs and messages: the URL, or the SQLite file's path.
std::string registry_location(const Config& config);

}  // namespace capf
