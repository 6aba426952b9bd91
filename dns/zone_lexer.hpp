// Splits master-file text into entries (RFC 1035 §5.1): one entry per line, or across lines
// inside parentheses; ';' starts a comment; quoted strings keep blanks, parentheses and ';'.
// Escapes ("\X", "\DDD") are kept in the token text, to be read by whoever knows the field.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hikyaku::dns {

struct ZoneError {
  std::string file;
  int line = 0;
  std::string message;
  std::string text() const;  // "FILE:LINE: message" ("FILE: message" when line is 0)
};

struct ZoneToken {
  std::string text;  // raw: escapes not yet decoded, quotes removed
  int line = 0;
  bool quoted = false;
};

struct ZoneEntry {
  std::vector<ZoneToken> tokens;  // never empty
  int line = 0;                   // where the entry starts
  bool starts_with_blank = false; // no owner field: the previous owner applies (§5.1)
};

struct LexedZone {
  std::vector<ZoneEntry> entries;  // up to the first syntax error, if any
  std::optional<ZoneError> error;  // unbalanced parentheses, unterminated quote
};

LexedZone split_entries(std::string_view text, std::string_view file);

// Decodes "\X" and "\DDD" (RFC 1035 §5.1) in a token's text; nullopt for a bad escape.
std::optional<std::string> decode_escapes(std::string_view raw);

}  // namespace hikyaku::dns
