// The doctor's two output forms: text, one finding a line (severity, check id, subject, what is
// wrong, the fix), and JSON (RFC 8259) with the DNS queries behind each finding.
#pragma once
#include <string>

#include "doctor/doctor.hpp"

namespace hikyaku::doctor {

std::string render_text(const Diagnosis& diagnosis, bool show_ok);
std::string render_json(const std::string& domain, const Diagnosis& diagnosis, int exit_code);

// RFC 8259 §7 string escaping, quotes included.
std::string json_string(std::string_view text);

}  // namespace hikyaku::doctor
