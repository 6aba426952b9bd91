// The metrics registry: label declaration, normalization of values to declared ones, and the
// series created at 0 for every combination of declared values (joint labels: listed tuples).
#include "metrics/registry.hpp"

#include <algorithm>
#include <stdexcept>

namespace hikyaku::metrics {

namespace {

// Prometheus data model: metric names [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*
// and not starting with "__" (reserved).
bool valid_name(std::string_view s, bool colon) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<std::uint64_t>[bounds_.size() + 1]) {
  if (!std::is_sorted(bounds_.begin(), bounds_.end()) ||
      std::adjacent_find(bounds_.begin(), bounds_.end()) != bounds_.end()) {
    throw std::invalid_argument("histogram bounds must be strictly ascending");
  }
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), v);
  buckets_[static_cast<size_t>(it - bounds_.begin())].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::bucket_counts() const {
  std::vector<std::uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) out[i] = buckets_[i].load(std::memory_order_relaxed);
  return out;
}

FamilyBase::FamilyBase(std::string name, std::string help, Type type, std::vector<Label> labels,
                       std::optional<Joint> joint)
    : name_(std::move(name)), help_(std::move(help)), type_(type), labels_(std::move(labels)),
      joint_(std::move(joint)) {
  if (!valid_name(name_, true)) throw std::invalid_argument("bad metric name: " + name_);
  for (const auto& l : labels_) {
    if (!valid_name(l.name, false) || l.name.starts_with("__") || (type_ == Type::histogram && l.name == "le")) {
      throw std::invalid_argument(name_ + ": bad label name: " + l.name);
    }
    if (l.values.empty() || std::find(l.values.begin(), l.values.end(), l.fallback) == l.values.end()) {
      throw std::invalid_argument(name_ + ": label " + l.name + " needs its fallback among its values");
    }
  }
  if (joint_) {
    const size_t first = joint_->first;
    if (first >= labels_.size()) throw std::invalid_argument(name_ + ": joint labels out of range");
    Key fallbacks;
    for (size_t i = first; i < labels_.size(); ++i) fallbacks.push_back(labels_[i].fallback);
    bool has_fallbacks = false;
    for (const auto& t : joint_->tuples) {
      if (t.size() != labels_.size() - first) throw std::invalid_argument(name_ + ": joint tuple of the wrong size");
      for (size_t i = 0; i < t.size(); ++i) {
        const auto& allowed = labels_[first + i].values;
        if (std::find(allowed.begin(), allowed.end(), t[i]) == allowed.end()) {
          throw std::invalid_argument(name_ + ": joint value " + t[i] + " not among label " + labels_[first + i].name);
        }
      }
      has_fallbacks = has_fallbacks || t == fallbacks;
    }
    if (!has_fallbacks) throw std::invalid_argument(name_ + ": the tuple of fallbacks must be a joint tuple");
  }
}

bool FamilyBase::joint_listed(const Key& key) const {
  if (!joint_) return true;
  const Key tail(key.begin() + static_cast<std::ptrdiff_t>(joint_->first), key.end());
  return std::find(joint_->tuples.begin(), joint_->tuples.end(), tail) != joint_->tuples.end();
}

std::vector<std::string> FamilyBase::label_names() const {
  std::vector<std::string> out;
  for (const auto& l : labels_) out.push_back(l.name);
  return out;
}

FamilyBase::Key FamilyBase::normalize(std::span<const std::string_view> values) const {
  if (values.size() != labels_.size()) {
    throw std::invalid_argument(name_ + ": wrong number of label values");
  }
  Key key;
  key.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const auto& allowed = labels_[i].values;
    const bool known = std::find(allowed.begin(), allowed.end(), values[i]) != allowed.end();
    key.emplace_back(known ? values[i] : std::string_view(labels_[i].fallback));
  }
  // A joint tuple not listed: its values fall back from the last until it is.
  for (size_t i = labels_.size(); !joint_listed(key) && i > joint_->first; --i) key[i - 1] = labels_[i - 1].fallback;
  return key;
}

void FamilyBase::create_all() {
  // The cross product of declared values, in label order.
  // With joint labels: the cross product of the others times the listed tuples.
  Key key(labels_.size());
  const size_t end = joint_ ? joint_->first : labels_.size();
  std::function<void(size_t)> fill = [&](size_t i) {
    if (i == end) {
      if (!joint_) return create(key);
      for (const auto& t : joint_->tuples) {
        std::copy(t.begin(), t.end(), key.begin() + static_cast<std::ptrdiff_t>(end));
        create(key);
      }
      return;
    }
    for (const auto& v : labels_[i].values) {
      key[i] = v;
      fill(i + 1);
    }
  };
  fill(0);
}

void FamilyBase::add_value(std::string_view label, std::string_view value) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < labels_.size(); ++i) {
    auto& l = labels_[i];
    if (l.name != label) continue;
    if (joint_ && i >= joint_->first) throw std::invalid_argument(name_ + ": joint label " + l.name + " is fixed");
    if (std::find(l.values.begin(), l.values.end(), value) != l.values.end()) return;
    l.values.emplace_back(value);
    create_all();
    return;
  }
  throw std::invalid_argument(name_ + ": no label " + std::string(label));
}

void Registry::check_new(const std::string& name) const {
  for (const auto& f : families_) {
    if (f->name() == name) throw std::invalid_argument("metric declared twice: " + name);
  }
}

Family<Counter>& Registry::counter(std::string name, std::string help, std::vector<Label> labels,
                                   std::optional<Joint> joint) {
  check_new(name);
  auto f = std::make_unique<Family<Counter>>(std::move(name), std::move(help), Type::counter,
                                             std::move(labels), [] { return std::make_unique<Counter>(); },
                                             std::move(joint));
  auto& ref = *f;
  families_.push_back(std::move(f));
  return ref;
}

Family<Gauge>& Registry::gauge(std::string name, std::string help, std::vector<Label> labels) {
  check_new(name);
  auto f = std::make_unique<Family<Gauge>>(std::move(name), std::move(help), Type::gauge,
                                           std::move(labels), [] { return std::make_unique<Gauge>(); });
  auto& ref = *f;
  families_.push_back(std::move(f));
  return ref;
}

Family<Histogram>& Registry::histogram(std::string name, std::string help, std::vector<double> bounds,
                                       std::vector<Label> labels) {
  check_new(name);
  Histogram probe(bounds);  // checks the bounds once, here
  auto f = std::make_unique<Family<Histogram>>(
      std::move(name), std::move(help), Type::histogram, std::move(labels),
      [bounds = std::move(bounds)] { return std::make_unique<Histogram>(bounds); });
  auto& ref = *f;
  families_.push_back(std::move(f));
  return ref;
}

}  // namespace hikyaku::metrics
