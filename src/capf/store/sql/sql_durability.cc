// SqlRegistry's deferred durability (deferred_sync.h): the commit numbers and wait_durable().
#include <algorithm>

#include "capf/store/sql/sql_registry.h"

namespace capf {

std::uint64_t SqlRegistry::note_commit(bool synced) {
  const std::uint64_t number = ++committed_;
  if (synced) {
    // The commit's fsync wrote out the WAL: every commit before it is on disk as well.
    std::lock_guard lock(sync_mu_);
    synced_ = std::max(synced_, number);
    sync_cv_.notify_all();
  }
  return number;
}

Status SqlRegistry::wait_durable(std::uint64_t ticket) {
  std::unique_lock lock(sync_mu_);
  while (synced_ < ticket) {
    if (syncing_) {
      // The sync in progress may have started before this commit: wait for it, then look again.
      sync_cv_.wait(lock);
      continue;
    }
    syncing_ = true;
    // Every commit numbered up to here has returned, so its pages are in the WAL now.
    const std::uint64_t covers = committed_.load();
    lock.unlock();
    Status synced = connection_->sync_log();
    lock.lock();
    syncing_ = false;
    if (synced) {
      synced_ = std::max(synced_, covers);
      ++log_syncs_;
    }
    sync_cv_.notify_all();
    if (!synced)
      return synced;
  }
  return ok();
}

}  // namespace capf
