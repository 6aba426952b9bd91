// A small metrics registry: counters, gauges and fixed-bucket histograms, each family with its
// label names and every label value declared up front, so every series exists (at 0) from the
// start and no label can take a value nobody declared (bounded cardinality). Recording is
// thread-safe (atomics; a lookup takes a short lock). Rendering is metrics/exposition.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hikyaku::metrics {

class Counter {
 public:
  void inc(std::uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Fixed upper bounds (ascending; +Inf implied). Observations are counted in the first bucket
// whose bound is >= the value (Prometheus `le`); rendering makes them cumulative.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Per-bucket counts, not cumulative; the last is the +Inf bucket.
  std::vector<std::uint64_t> bucket_counts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

enum class Type { counter, gauge, histogram };

// One label: its name, the values it may take, and the value that any other value is counted
// under (one of `values`; e.g. "other").
struct Label {
  std::string name;
  std::vector<std::string> values;
  std::string fallback;
};

// Labels whose values go together (e.g. a reply code and its enhanced status code): the last
// labels of a family take only the listed tuples, not every combination of their values. A
// tuple not listed is counted under the first listed one found by replacing its values, from
// the last, by their label's fallback (the all-fallback tuple must be listed).
struct Joint {
  std::size_t first = 0;                      // index of the first joint label
  std::vector<std::vector<std::string>> tuples;
};

class FamilyBase {
 public:
  FamilyBase(std::string name, std::string help, Type type, std::vector<Label> labels,
             std::optional<Joint> joint = std::nullopt);
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  Type type() const { return type_; }
  std::vector<std::string> label_names() const;
  // Adds an allowed value to label `label` (e.g. a domain configured by a reload); its series
  // are created at 0. Values are never removed (a scrape sees no series vanish).
  void add_value(std::string_view label, std::string_view value);

 protected:
  using Key = std::vector<std::string>;
  // The key `values` are counted under: each value not declared becomes its label's fallback.
  Key normalize(std::span<const std::string_view> values) const;
  bool joint_listed(const Key& key) const;  // true without joint labels
  void create_all();  // every combination of declared values (under mu_)
  virtual void create(const Key& key) = 0;

  std::string name_;
  std::string help_;
  Type type_;
  std::vector<Label> labels_;
  std::optional<Joint> joint_;
  mutable std::mutex mu_;
};

template <class T>
class Family : public FamilyBase {
 public:
  Family(std::string name, std::string help, Type type, std::vector<Label> labels,
         std::function<std::unique_ptr<T>()> make, std::optional<Joint> joint = std::nullopt)
      : FamilyBase(std::move(name), std::move(help), type, std::move(labels), std::move(joint)),
        make_(std::move(make)) {
    std::lock_guard lock(mu_);
    create_all();
  }
  // The series for these label values (in label order); undeclared values count under their
  // label's fallback. A family without labels: with({}).
  T& with(std::initializer_list<std::string_view> values) {
    return with(std::span<const std::string_view>(values.begin(), values.size()));
  }
  T& with(std::span<const std::string_view> values) {
    std::lock_guard lock(mu_);
    return *series_.at(normalize(values));
  }
  // Visits every series in label order (rendering).
  void each(const std::function<void(const Key&, const T&)>& f) const {
    std::lock_guard lock(mu_);
    for (const auto& [key, s] : series_) f(key, *s);
  }

 private:
  void create(const Key& key) override {
    if (!series_.count(key)) series_.emplace(key, make_());
  }
  std::function<std::unique_ptr<T>()> make_;
  std::map<Key, std::unique_ptr<T>> series_;
};

// Families in declaration order. Names and labels are checked when declared (a bad one is a
// programming error: std::invalid_argument at start-up).
class Registry {
 public:
  Family<Counter>& counter(std::string name, std::string help, std::vector<Label> labels = {},
                           std::optional<Joint> joint = std::nullopt);
  Family<Gauge>& gauge(std::string name, std::string help, std::vector<Label> labels = {});
  Family<Histogram>& histogram(std::string name, std::string help, std::vector<double> bounds,
                               std::vector<Label> labels = {});
  const std::vector<std::unique_ptr<FamilyBase>>& families() const { return families_; }

 private:
  void check_new(const std::string& name) const;
  std::vector<std::unique_ptr<FamilyBase>> families_;
};

}  // namespace hikyaku::metrics
