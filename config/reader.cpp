// Walking a parsed TOML table with typed, range-checked reads; every problem is recorded with
// its line and the key's full path, and keys nobody asked for are reported as unknown.
#include "config/reader.hpp"

#include <algorithm>

#include "config/toml_guard.hpp"
#include "config/values.hpp"

namespace hikyaku::config::detail {

void Diagnostics::error(int line, std::string message) {
  errors_.push_back(ConfigError{file_, line, std::move(message)});
}

ConfigErrors Diagnostics::take() {
  std::stable_sort(errors_.begin(), errors_.end(),
                   [](const ConfigError& a, const ConfigError& b) { return a.line < b.line; });
  return std::move(errors_);
}

int line_of(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

namespace {

std::string_view type_name(toml::node_type t) {
  switch (t) {
    case toml::node_type::string:
      return "string";
    case toml::node_type::integer:
      return "integer";
    case toml::node_type::floating_point:
      return "float";
    case toml::node_type::boolean:
      return "boolean";
    case toml::node_type::date:
      return "date";
    case toml::node_type::time:
      return "time";
    case toml::node_type::date_time:
      return "date-time";
    case toml::node_type::array:
      return "array";
    case toml::node_type::table:
      return "table";
    case toml::node_type::none:
      break;
  }
  return "nothing";
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A key as TOML would accept it bare, else quoted (keys may hold any character).
std::string display_key(std::string_view key) {
  const bool bare = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
  return bare ? std::string(key) : quote(key);
}

constexpr std::string_view kNeedsUnit = "duration needs a unit (ms, s, m, h or d), as in \"30s\"";

}  // namespace

TableReader::TableReader(const toml::table& table, std::string path, Diagnostics& diag)
    : table_(table), path_(std::move(path)), diag_(diag) {}

std::string TableReader::path_of(std::string_view key) const {
  if (path_.empty()) return std::string(key);
  std::string out = path_;
  out += '.';
  out += key;
  return out;
}

void TableReader::error(int line, std::string_view key, std::string_view message) {
  std::string text = path_of(key);
  text += ": ";
  text += message;
  diag_.error(line, std::move(text));
}

void TableReader::error_here(std::string_view message) {
  std::string text = path_.empty() ? std::string("(top level)") : path_;
  text += ": ";
  text += message;
  diag_.error(line(), std::move(text));
}

void TableReader::type_error(const toml::node& node, std::string_view key, std::string_view expected) {
  std::string message = "expected ";
  message += expected;
  message += ", got ";
  message += type_name(node.type());
  error(line_of(node), key, message);
}

const toml::node* TableReader::get(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
  return table_.get(key);
}

bool TableReader::read_string(std::string_view key, std::string& out) {
  const toml::node* node = get(key);
  if (node == nullptr) return false;
  const auto* s = node->as_string();
  if (s == nullptr) {
    type_error(*node, key, "string");
    return false;
  }
  std::string value = restore_from_toml(s->get());
  if (value.find('\0') != std::string::npos) {
    error(line_of(*node), key, "must not contain NUL characters");
    return false;
  }
  out = std::move(value);
  return true;
}

bool TableReader::read_bool(std::string_view key, bool& out) {
  const toml::node* node = get(key);
  if (node == nullptr) return false;
  const auto* b = node->as_boolean();
  if (b == nullptr) {
    type_error(*node, key, "boolean (true or false)");
    return false;
  }
  out = b->get();
  return true;
}

bool TableReader::read_integer(std::string_view key, int64_t& out, int64_t min, int64_t max,
                               std::string_view why) {
  const toml::node* node = get(key);
  if (node == nullptr) return false;
  const auto* i = node->as_integer();
  if (i == nullptr) {
    type_error(*node, key, "integer");
    return false;
  }
  const int64_t v = i->get();
  std::string problem;
  if (max != std::numeric_limits<int64_t>::max() && (v < min || v > max)) {
    problem = "must be from " + std::to_string(min) + " to " + std::to_string(max);
  } else if (v < 0 && min == 0) {
    problem = "must not be negative";
  } else if (v < min) {
    problem = "must be at least " + std::to_string(min);
  }
  if (!problem.empty()) {
    if (!why.empty()) problem += " (" + std::string(why) + ")";
    error(line_of(*node), key, problem);
    return false;
  }
  out = v;
  return true;
}

bool TableReader::read_duration(std::string_view key, Duration& out, bool allow_zero) {
  const toml::node* node = get(key);
  if (node == nullptr) return false;
  if (node->is_integer() || node->is_floating_point()) {
    error(line_of(*node), key, kNeedsUnit);
    return false;
  }
  const auto* s = node->as_string();
  if (s == nullptr) {
    type_error(*node, key, "duration string such as \"30s\"");
    return false;
  }
  const std::string text = restore_from_toml(s->get());
  const auto d = parse_duration(text);
  if (!d) {
    if (all_digits(text)) {
      error(line_of(*node), key, kNeedsUnit);
    } else {
      error(line_of(*node), key,
            "bad duration " + quote(text) + " (expected a whole number and a unit: ms, s, m, h or d)");
    }
    return false;
  }
  if (d->count() == 0 && !allow_zero) {
    error(line_of(*node), key, "must be greater than 0");
    return false;
  }
  out = *d;
  return true;
}

bool TableReader::read_string_array(std::string_view key, std::vector<StringItem>& out) {
  const toml::node* node = get(key);
  if (node == nullptr) return false;
  const auto* arr = node->as_array();
  if (arr == nullptr) {
    type_error(*node, key, "array of strings");
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& element = *arr->get(i);
    const std::string element_key = std::string(key) + "[" + std::to_string(i) + "]";
    const auto* s = element.as_string();
    if (s == nullptr) {
      type_error(element, element_key, "string");
      ok = false;
      continue;
    }
    std::string value = restore_from_toml(s->get());
    if (value.find('\0') != std::string::npos) {
      error(line_of(element), element_key, "must not contain NUL characters");
      ok = false;
      continue;
    }
    out.push_back(StringItem{std::move(value), path_of(element_key), line_of(element)});
  }
  return ok;
}

const toml::table* TableReader::read_table(std::string_view key) {
  const toml::node* node = get(key);
  if (node == nullptr) return nullptr;
  const auto* t = node->as_table();
  if (t == nullptr) type_error(*node, key, "table");
  return t;
}

const toml::array* TableReader::read_table_array(std::string_view key) {
  const toml::node* node = get(key);
  if (node == nullptr) return nullptr;
  const auto* arr = node->as_array();
  if (arr == nullptr) {
    type_error(*node, key, "array of tables ([[" + path_of(key) + "]])");
    return nullptr;
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    const toml::node& element = *arr->get(i);
    if (!element.is_table()) type_error(element, std::string(key) + "[" + std::to_string(i) + "]", "table");
  }
  return arr;
}

void TableReader::finish() {
  for (auto&& [key, node] : table_) {
    if (std::find(known_.begin(), known_.end(), key.str()) != known_.end()) continue;
    int line = static_cast<int>(key.source().begin.line);
    if (line == 0) line = line_of(node);
    error(line, display_key(restore_from_toml(key.str())), "unknown key");
  }
}

}  // namespace hikyaku::config::detail
