// The phone tests' temporary directories: the shared helper.
#pragma once

#include "tests/common/temp_dir.h"

namespace capf::phone::testing {
using TempDir = capf::testing::TempDir;
}  // namespace capf::phone::testing
