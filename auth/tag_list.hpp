// Tag=value lists of DKIM signatures, key records and ARC headers: RFC 6376 §3.2 (tag-list,
// tag-spec, FWS around names, "=" and values), as reused by RFC 8617 §4.1.2-§4.1.3.
// Duplicate tag names are an error (§3.2); unknown tags are kept for the caller to ignore.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace hikyaku::auth {

enum class TagListError { syntax, duplicate_tag };

struct Tag {
  std::string name;   // case-sensitive (RFC 6376 §3.2)
  std::string value;  // leading/trailing FWS removed; inner FWS kept as written
};

struct TagList {
  std::vector<Tag> tags;  // in order of appearance
  // The tag's value, or nullptr when absent.
  const std::string* find(std::string_view name) const;
};

// Parses `text` (a header value with folding CRLFs, or a TXT record). An empty list (only
// whitespace) is valid; a trailing ";" is allowed; an empty tag-spec (";;") is a syntax error.
core::Expected<TagList, TagListError> parse_tag_list(std::string_view text);

// The value with every FWS octet (SP, HTAB, CR, LF) removed: for b=, bh=, p= and h=.
std::string strip_fws(std::string_view value);

const char* to_string(TagListError e);

}  // namespace hikyaku::auth
