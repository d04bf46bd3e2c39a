#include "keel/base/status.h"

namespace keel {

Status Annotate(const Status& status, std::string_view context) {
  if (status.ok()) return status;
  return Status(status.code(), absl::StrCat(std::string(context), ": ", status.message()));
}

}  // namespace keel
