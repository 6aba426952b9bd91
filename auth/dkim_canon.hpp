// DKIM canonicalisation, shared by DKIM and ARC: RFC 6376 §3.4 (simple and relaxed header and
// body algorithms, l= body length), §3.7 / §5.4.2 (h= header selection bottom-up for repeated
// names; the signature field itself last, b= emptied, no trailing CRLF).
#pragma once
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/message.hpp"

namespace hikyaku::auth {

enum class Canon { simple, relaxed };

struct CanonPair {
  Canon header = Canon::simple;
  Canon body = Canon::simple;
};

// c= value (RFC 6376 §3.5): "relaxed/simple", "relaxed" (body simple); nullopt when invalid.
// A missing c= tag means simple/simple: the caller passes nothing then.
std::optional<CanonPair> parse_canon(std::string_view c);

// One canonicalised header field, "name:value\r\n" (relaxed) or as written plus CRLF (simple).
// `text` is the whole field as written, without its final CRLF ("Subject: hi").
std::string canon_header(Canon c, std::string_view text);

// The canonical body (RFC 6376 §3.4.3, §3.4.4).
std::string canon_body(Canon c, std::string_view body);

// The canonical body handed over in pieces, in order, without building it whole (for hashing).
// The pieces concatenated are canon_body(c, body); a piece is valid only during the call.
void canon_body_pieces(Canon c, std::string_view body,
                       const std::function<void(std::string_view)>& piece);

// The octets the body hash covers: the canonical body cut to `length` (l=) octets; nullopt when
// l= exceeds the canonical body (RFC 6376 §3.5: the signature cannot be verified).
std::optional<std::string> body_hash_input(Canon c, std::string_view body,
                                           std::optional<uint64_t> length);

// h= names split on ":" with FWS removed and lower-cased; empty names are dropped.
std::vector<std::string> split_header_names(std::string_view h);

// The fields h= selects (RFC 6376 §5.4.2): for each name, the last instance not yet used,
// scanning bottom-up; a name with no instance left selects nothing (nullptr).
std::vector<const core::HeaderField*> select_headers(const core::Message& m,
                                                     const std::vector<std::string>& names);

// The field text with the value of its b= tag removed (RFC 6376 §3.7: "b=" kept, the value
// and the whitespace around it deleted). Other tags, including bh=, are left alone.
std::string without_b_value(std::string_view field_text);

// The header hash input: the selected fields canonicalised, then the signature field with b=
// emptied and without its final CRLF (RFC 6376 §3.7).
std::string signed_header_data(const core::Message& m, Canon c,
                               const std::vector<std::string>& names,
                               std::string_view signature_field_text);

}  // namespace hikyaku::auth
