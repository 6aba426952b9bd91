// The Prometheus text exposition format, version 0.0.4: "# HELP" and "# TYPE" lines, one
// sample a line, label values escaped (backslash, double quote, line feed), histograms as
// cumulative _bucket{le="..."} series ending in le="+Inf", then _sum and _count.
#pragma once
#include <string>
#include <string_view>

#include "metrics/registry.hpp"

namespace hikyaku::metrics {

// The Content-Type of render()'s output.
inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

// A label value with \ " and LF escaped as \\ \" \n.
std::string escape_label_value(std::string_view v);
// HELP text with \ and LF escaped as \\ \n.
std::string escape_help(std::string_view v);
// A sample value: integers without a fraction, +Inf/-Inf/NaN spelled as the format wants.
std::string format_value(double v);

std::string render(const Registry& registry);

}  // namespace hikyaku::metrics
