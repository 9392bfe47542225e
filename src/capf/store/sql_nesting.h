// The part of a nested transaction that every SQL connection shares: run the caller's function
// one level deeper and undo its writes (rollback or rollback to the savepoint) when it fails or
// throws, so the connection stays usable for the next caller.
#pragma once

#include <functional>

#include "capf/common/result.h"

namespace capf {

// Runs fn with `depth` one higher; on fn's error or exception, calls undo() with `depth` back at
// the caller's level, then returns the error or rethrows.
inline Status run_nested(int& depth, const std::function<Status()>& fn,
                         const std::function<void()>& undo) {
  ++depth;
  Status result;
  try {
    result = fn();
  } catch (...) {
    --depth;
    undo();
    throw;
  }
  --depth;
  if (!result) {
    undo();
  }
  return result;
}

}  // namespace capf
