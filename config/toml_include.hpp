// Private: the one way config/ includes toml++ 3.3. It is used without its shared library:
// every TU sees the declarations (TOML_HEADER_ONLY=0) and config/toml_impl.cpp compiles the
// implementation exactly once, so no two modes are ever mixed in one binary.
#pragma once
#undef TOML_HEADER_ONLY
#define TOML_HEADER_ONLY 0
#include <toml++/toml.h>
