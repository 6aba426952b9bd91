// Renders a Registry in the Prometheus text exposition format 0.0.4.
#include "metrics/exposition.hpp"

#include <cmath>

#include <fmt/format.h>

namespace hikyaku::metrics {

namespace {

std::string_view type_name(Type t) {
  switch (t) {
    case Type::counter: return "counter";
    case Type::gauge: return "gauge";
    case Type::histogram: return "histogram";
  }
  return "untyped";
}

// {a="x",b="y"} plus an extra le= pair for buckets; "" without labels.
std::string label_text(const std::vector<std::string>& names, const std::vector<std::string>& values,
                       std::string_view le = {}) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    out += fmt::format("{}{}=\"{}\"", out.empty() ? "" : ",", names[i], escape_label_value(values[i]));
  }
  if (!le.empty()) out += fmt::format("{}le=\"{}\"", out.empty() ? "" : ",", le);
  return out.empty() ? out : "{" + out + "}";
}

}  // namespace

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (const char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{}", v);
}

std::string render(const Registry& registry) {
  std::string out;
  for (const auto& family : registry.families()) {
    const auto& name = family->name();
    const auto names = family->label_names();
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(family->help()), name,
                       type_name(family->type()));
    switch (family->type()) {
      case Type::counter:
        static_cast<const Family<Counter>&>(*family).each([&](const auto& key, const Counter& c) {
          out += fmt::format("{}{} {}\n", name, label_text(names, key), c.value());
        });
        break;
      case Type::gauge:
        static_cast<const Family<Gauge>&>(*family).each([&](const auto& key, const Gauge& g) {
          out += fmt::format("{}{} {}\n", name, label_text(names, key), format_value(g.value()));
        });
        break;
      case Type::histogram:
        static_cast<const Family<Histogram>&>(*family).each([&](const auto& key, const Histogram& h) {
          const auto counts = h.bucket_counts();
          std::uint64_t cumulative = 0;
          for (size_t i = 0; i < counts.size(); ++i) {
            cumulative += counts[i];
            const std::string le = i < h.bounds().size() ? format_value(h.bounds()[i]) : "+Inf";
            out += fmt::format("{}_bucket{} {}\n", name, label_text(names, key, le), cumulative);
          }
          // _count is the +Inf bucket read above, so the two agree within one scrape.
          out += fmt::format("{}_sum{} {}\n", name, label_text(names, key), format_value(h.sum()));
          out += fmt::format("{}_count{} {}\n", name, label_text(names, key), cumulative);
        });
        break;
    }
  }
  return out;
}

}  // namespace hikyaku::metrics
