// Private: keeps toml++ 3.3.0 away from its undefined behaviour. Its whitespace test reaches
// TOML_UNREACHABLE for many non-ASCII code points (marzer/tomlplusplus issues #190 and #295),
// so those are handed to it as plane-15 private-use code points and mapped back afterwards.
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace hikyaku::config::detail {

// True for the code points toml++ 3.3.0's is_non_ascii_horizontal_whitespace() cannot classify
// (all of them are in fact not whitespace).
bool toml_whitespace_hazard(char32_t c);

// `text` with every hazardous code point c written as U+F0000 + c (same line and column, and
// the same meaning to TOML: a non-whitespace character that is no bare-key character).
// Refuses text that itself holds plane-15 private-use characters: the 1-based line of the
// first comes back instead.
struct ProtectedToml {
  std::string text;
  int private_use_line = 0;  // non-zero: refused
};
ProtectedToml protect_for_toml(std::string_view text);

// Undoes protect_for_toml in a string toml++ returned (a value or a key): raw UTF-8 only.
std::string restore_from_toml(std::string_view s);
// The same for one of toml++'s error messages, which also spell code points as "\UXXXXXXXX".
std::string restore_toml_message(std::string_view message);

}  // namespace hikyaku::config::detail
