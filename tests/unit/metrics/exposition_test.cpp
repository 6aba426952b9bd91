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

// Joint labels: only the listed tuples exist (times the other labels); an unlisted tuple falls
// back from its last value on.
TEST(Registry, JointLabelsTakeOnlyTheListedTuples) {
  Registry r;
  Joint j;
  j.first = 1;
  j.tuples = {{"550", "5.1.1"}, {"451", "4.3.0"}, {"550", "other"}, {"451", "other"}, {"other", "other"}};
  auto& f = r.counter("j_total", "J.",
                      {{"cmd", {"mail", "rcpt"}, "rcpt"},
                       {"code", {"451", "550", "other"}, "other"},
                       {"enhanced", {"4.3.0", "5.1.1", "other"}, "other"}},
                      j);
  const auto text = render(r);
  size_t series = 0;
  for (size_t at = text.find("\nj_total{"); at != std::string::npos; at = text.find("\nj_total{", at + 1)) ++series;
  EXPECT_EQ(series, 2u * 5u) << text;
  EXPECT_EQ(text.find("j_total{cmd=\"mail\",code=\"451\",enhanced=\"5.1.1\"}"), std::string::npos) << text;
  f.with({"rcpt", "550", "5.1.1"}).inc();
  f.with({"rcpt", "550", "5.9.9"}).inc();  // unknown enhanced: (550, other)
  f.with({"rcpt", "550", "4.3.0"}).inc();  // both known, pair not listed: (550, other)
  f.with({"rcpt", "554", "5.1.1"}).inc();  // unknown code: (other, other)
  f.with({"mail", "451", ""}).inc();       // no enhanced code: (451, other)
  EXPECT_EQ(f.with({"rcpt", "550", "5.1.1"}).value(), 1u);
  EXPECT_EQ(f.with({"rcpt", "550", "other"}).value(), 2u);
  EXPECT_EQ(f.with({"rcpt", "other", "other"}).value(), 1u);
  EXPECT_EQ(f.with({"mail", "451", "other"}).value(), 1u);
  EXPECT_EQ(f.with({"mail", "451", "4.3.0"}).value(), 0u);
  EXPECT_THROW(f.add_value("code", "552"), std::invalid_argument);
  f.add_value("cmd", "data");
  EXPECT_EQ(f.with({"data", "451", "4.3.0"}).value(), 0u);
}

TEST(Registry, RefusesBadJointDeclarations) {
  Registry r;
  const std::vector<Label> labels = {{"a", {"x", "other"}, "other"}, {"b", {"y", "other"}, "other"}};
  Joint no_fallbacks{0, {{"x", "y"}}};
  EXPECT_THROW(r.counter("a_total", "x", labels, no_fallbacks), std::invalid_argument);
  Joint undeclared{0, {{"x", "z"}, {"other", "other"}}};
  EXPECT_THROW(r.counter("b_total", "x", labels, undeclared), std::invalid_argument);
  Joint wrong_size{1, {{"y", "other"}}};
  EXPECT_THROW(r.counter("c_total", "x", labels, wrong_size), std::invalid_argument);
}

}  // namespace
}  // namespace hikyaku::metrics
