// The single translation unit that compiles toml++'s implementation (see toml_include.hpp);
// nothing else belongs in this file.
#define TOML_IMPLEMENTATION
#include "config/toml_include.hpp"
