#include "capf/store/deferred_sync.h"

namespace capf {

namespace {
thread_local DeferredSync* t_current = nullptr;
}  // namespace

DeferredSync::DeferredSync() : previous_(t_current) {
  t_current = this;
}

DeferredSync::~DeferredSync() {
  t_current = previous_;
}

DeferredSync* DeferredSync::current() {
  return t_current;
}

}  // namespace capf
