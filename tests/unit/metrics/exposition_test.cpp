// Unit tests for metrics/registry and metrics/exposition: the Prometheus text format 0.0.4
// (HELP/TYPE lines, label value escaping, cumulative histogram buckets with +Inf, _sum,
// _count), every declared series present at 0, undeclared label values counted as fallback.
#include "metrics/exposition.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>
#include <string>

#include "metrics/registry.hpp"

namespace hikyaku::metrics {
namespace {

TEST(Exposition, EscapesLabelValues) {
  EXPECT_EQ(escape_label_value("plain"), "plain");
  EXPECT_EQ(escape_label_value("a\\b"), "a\\\\b");
  EXPECT_EQ(escape_label_value("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(escape_label_value("two\nlines"), "two\\nlines");
  EXPECT_EQ(escape_label_value("\\\"\n"), "\\\\\\\"\\n");
}

TEST(Exposition, EscapesHelpButNotQuotes) {
  EXPECT_EQ(escape_help("a \"b\" c\\d\ne"), "a \"b\" c\\\\d\\ne");
}

TEST(Exposition, FormatsValues) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(3), "3");
  EXPECT_EQ(format_value(-2), "-2");
  EXPECT_EQ(format_value(0.005), "0.005");
  EXPECT_EQ(format_value(2.5), "2.5");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(Exposition, EverySeriesOfTheLabelSetExistsAtZero) {
  Registry r;
  r.counter("x_total", "Things.", {{"kind", {"a", "b"}, "b"}, {"result", {"ok", "fail"}, "fail"}});
  EXPECT_EQ(render(r),
            "# HELP x_total Things.\n"
            "# TYPE x_total counter\n"
            "x_total{kind=\"a\",result=\"fail\"} 0\n"
            "x_total{kind=\"a\",result=\"ok\"} 0\n"
            "x_total{kind=\"b\",result=\"fail\"} 0\n"
            "x_total{kind=\"b\",result=\"ok\"} 0\n");
}

TEST(Exposition, CountersGaugesAndUndeclaredValues) {
  Registry r;
  auto& c = r.counter("c_total", "C.", {{"kind", {"a", "other"}, "other"}});
  auto& g = r.gauge("g", "G.");
  c.with({"a"}).inc();
  c.with({"a"}).inc(2);
  c.with({"someone@example.com"}).inc();  // not declared: counted as the fallback
  c.with({"b"}).inc();
  g.with({}).set(7);
  g.with({}).add(-2.5);
  EXPECT_EQ(render(r),
            "# HELP c_total C.\n# TYPE c_total counter\n"
            "c_total{kind=\"a\"} 3\n"
            "c_total{kind=\"other\"} 2\n"
            "# HELP g G.\n# TYPE g gauge\n"
            "g 4.5\n");
}

TEST(Exposition, HistogramBucketsAreCumulative) {
  Registry r;
  auto& h = r.histogram("h_seconds", "H.", {0.1, 1, 10});
  h.with({}).observe(0.05);
  h.with({}).observe(0.1);  // le is inclusive
  h.with({}).observe(5);
  h.with({}).observe(100);
  EXPECT_EQ(render(r),
            "# HELP h_seconds H.\n# TYPE h_seconds histogram\n"
            "h_seconds_bucket{le=\"0.1\"} 2\n"
            "h_seconds_bucket{le=\"1\"} 2\n"
            "h_seconds_bucket{le=\"10\"} 3\n"
            "h_seconds_bucket{le=\"+Inf\"} 4\n"
            "h_seconds_sum 105.15\n"
            "h_seconds_count 4\n");
}

TEST(Exposition, LabelledHistogramPutsLeLast) {
  Registry r;
  auto& h = r.histogram("h_bytes", "H.", {1}, {{"dir", {"in"}, "in"}});
  h.with({"in"}).observe(2);
  const auto text = render(r);
  EXPECT_NE(text.find("h_bytes_bucket{dir=\"in\",le=\"1\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_bytes_bucket{dir=\"in\",le=\"+Inf\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_bytes_sum{dir=\"in\"} 2\n"), std::string::npos) << text;
}

TEST(Exposition, EscapedLabelValueAndHelpInOutput) {
  Registry r;
  auto& f = r.counter("e_total", "Line one\nback\\slash", {{"v", {"q\"uote", "other"}, "other"}});
  auto& domains = r.counter("d_total", "D.", {{"domain", {"other"}, "other"}});
  f.with({"q\"uote"}).inc();
  domains.add_value("domain", "new\\line\n.example");
  domains.with({"new\\line\n.example"}).inc();
  const auto text = render(r);
  EXPECT_NE(text.find("# HELP e_total Line one\\nback\\\\slash\n"), std::string::npos) << text;
  EXPECT_NE(text.find("e_total{v=\"q\\\"uote\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_total{domain=\"new\\\\line\\n.example\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("d_total{domain=\"other\"} 0\n"), std::string::npos) << text;
}

TEST(Registry, AddedValueStartsAtZeroAndKeepsCounts) {
  Registry r;
  auto& f = r.counter("m_total", "M.", {{"domain", {"other"}, "other"}, {"o", {"x", "y"}, "x"}});
  f.with({"a.example", "y"}).inc();  // not yet declared: other
  f.add_value("domain", "a.example");
  f.add_value("domain", "a.example");  // twice is once
  EXPECT_EQ(f.with({"other", "y"}).value(), 1u);
  EXPECT_EQ(f.with({"a.example", "y"}).value(), 0u);
  EXPECT_EQ(f.with({"a.example", "x"}).value(), 0u);
  f.with({"a.example", "y"}).inc();
  EXPECT_EQ(f.with({"a.example", "y"}).value(), 1u);
}

TEST(Registry, RefusesBadDeclarations) {
  Registry r;
  EXPECT_THROW(r.counter("1bad", "x"), std::invalid_argument);
  EXPECT_THROW(r.counter("bad-name", "x"), std::invalid_argument);
  EXPECT_THROW(r.counter("ok_total", "x", {{"__reserved", {"a"}, "a"}}), std::invalid_argument);
  EXPECT_THROW(r.counter("ok_total", "x", {{"l", {"a"}, "missing"}}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h", "x", {1, 1}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h", "x", {2, 1}), std::invalid_argument);
  EXPECT_THROW(r.histogram("h", "x", {1}, {{"le", {"a"}, "a"}}), std::invalid_argument);
  r.gauge("dup", "x");
  EXPECT_THROW(r.gauge("dup", "x"), std::invalid_argument);
  auto& f = r.counter("n_total", "x", {{"a", {"v"}, "v"}});
  EXPECT_THROW(f.with({}), std::invalid_argument);
  EXPECT_THROW(f.add_value("nope", "v"), std::invalid_argument);
}

}  // namespace
}  // namespace hikyaku::metrics
