// Deferred durability for phone sessions (docs/architecture.md §1.1). A session step runs its
// registry calls inside a DeferredSync on the worker thread: their commits return without waiting
// for the disk, and the scope collects a ticket that covers them. Before the session sends the
// phone anything (the certificate after its ledger row, END_SESSION after the confirmation) it
// waits, off the workers, until CommitSync::wait_durable(ticket) says those commits are on disk.
// Many sessions' commits then share one fsync while the workers go on signing, and nothing leaves
// before what it depends on is durable. A registry that cannot defer (PostgreSQL, or SQLite
// without fsync) hands out no ticket: its commits are as durable as they get when they return.
#pragma once

#include <algorithm>
#include <cstdint>

#include "capf/common/result.h"

namespace capf {

class DeferredSync {
 public:
  // Makes this the calling thread's scope until it is destroyed (scopes nest: the innermost one
  // collects).
  DeferredSync();
  ~DeferredSync();
  DeferredSync(const DeferredSync&) = delete;
  DeferredSync& operator=(const DeferredSync&) = delete;

  // The calling thread's scope, or null.
  static DeferredSync* current();

  // A registry records a deferred commit here.
  void add(std::uint64_t ticket) { ticket_ = std::max(ticket_, ticket); }
  // What covers every deferred commit made in the scope; 0 when there was none.
  std::uint64_t ticket() const { return ticket_; }

 private:
  DeferredSync* previous_;
  std::uint64_t ticket_ = 0;
};

class CommitSync {
 public:
  virtual ~CommitSync() = default;
  // Returns once every commit that `ticket` covers is on disk (at once for 0). Blocks: call it
  // where waiting holds no CPU worker. kDatabase when the disk refused (nothing may then be sent
  // that depends on those commits).
  virtual Status wait_durable(std::uint64_t ticket) = 0;
};

}  // namespace capf
