// Test helper: a loopback TCP port for a test server to listen on.
#ifndef KEEL_BASE_TESTING_PORTS_H_
#define KEEL_BASE_TESTING_PORTS_H_

#include "keel/base/status.h"

namespace keel::testing {

// A port on 127.0.0.1 that was free a moment ago (bound to port 0, read
// back, closed): a server started on it may still lose a race for it, so
// callers retry or let the server pick (port 0) where it can.
// Errors: Internal when no socket can be bound.
StatusOr<int> FreeLoopbackPort();

}  // namespace keel::testing

#endif  // KEEL_BASE_TESTING_PORTS_H_
