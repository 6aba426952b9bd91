// The "v=VERSION; name=value; ..." TXT grammar shared by MTA-STS (RFC 8461 §3.1) and TLS-RPT
// (RFC 8460 §3): a version, then fields separated by *WSP ";" *WSP, an optional final ";".
#pragma once
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/expected.hpp"

namespace hikyaku::relay {

struct TxtField {
  std::string_view name;
  std::string_view value;
};

// The fields after `version` (e.g. "v=STSv1", compared with case), in order; an error for a
// record with another version, a field without '=', an empty field between two ';', or no field.
core::Expected<std::vector<TxtField>, std::string> split_txt_fields(std::string_view txt,
                                                                    std::string_view version);

// ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".")  (both RFCs)
bool is_txt_extension_name(std::string_view name);
// ext-value = 1*(%x21-3A / %x3C / %x3E-7E): visible ASCII but ";" and "="  (both RFCs)
bool is_txt_extension_value(std::string_view value);

// The single record of `texts` starting with `version` (RFC 8461 §3.1, RFC 8460 §3: records
// with another start are discarded, and anything but exactly one left means no record), or
// nullptr with the reason in `why`.
const std::string* select_versioned_record(const std::vector<std::string>& texts,
                                           std::string_view version, std::string* why);

}  // namespace hikyaku::relay
