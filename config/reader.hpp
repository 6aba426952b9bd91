// Private: walking a parsed TOML table with every problem recorded as "FILE:LINE: key: problem"
// instead of stopping. A TableReader marks each key it is asked for; finish() reports the rest
// as unknown keys, so every table of the schema is closed.
#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "config/loader.hpp"
#include "config/toml_include.hpp"

namespace hikyaku::config::detail {

// All errors of one load, in the order found; take() sorts them by line.
class Diagnostics {
 public:
  explicit Diagnostics(std::string file) : file_(std::move(file)) {}
  void error(int line, std::string message);
  bool empty() const { return errors_.empty(); }
  const std::string& file() const { return file_; }
  ConfigErrors take();

 private:
  std::string file_;
  ConfigErrors errors_;
};

int line_of(const toml::node& node);

// One string of an array (or a single string value), with where it came from.
struct StringItem {
  std::string value;
  std::string path;  // "server.listen[1]"
  int line = 0;
};

class TableReader {
 public:
  TableReader(const toml::table& table, std::string path, Diagnostics& diag);

  const std::string& path() const { return path_; }
  std::string path_of(std::string_view key) const;
  int line() const { return line_of(table_); }
  Diagnostics& diag() const { return diag_; }
  bool has(std::string_view key) const { return table_.contains(key); }

  // "PATH.KEY: message" at `line`; "PATH: message" at the table's line.
  void error(int line, std::string_view key, std::string_view message);
  void error_here(std::string_view message);

  // The node under `key` (marked known), or null when absent.
  const toml::node* get(std::string_view key);

  // Typed reads: true when the key was present and valid (then `out` is set); false when absent
  // or bad (bad values are recorded as errors and leave `out` untouched).
  bool read_string(std::string_view key, std::string& out);
  bool read_bool(std::string_view key, bool& out);
  bool read_integer(std::string_view key, int64_t& out, int64_t min,
                    int64_t max = std::numeric_limits<int64_t>::max(), std::string_view why = {});
  template <class T>
  bool read_count(std::string_view key, T& out, int64_t min, std::string_view why = {}) {
    int64_t v = 0;
    constexpr auto max = static_cast<uint64_t>(std::numeric_limits<T>::max()) >
                                 static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                             ? std::numeric_limits<int64_t>::max()
                             : static_cast<int64_t>(std::numeric_limits<T>::max());
    if (!read_integer(key, v, min, max, why)) return false;
    out = static_cast<T>(v);
    return true;
  }
  // A duration string ("30s"); zero refused unless allowed.
  bool read_duration(std::string_view key, Duration& out, bool allow_zero);
  // An array of strings; every element that is a string comes back, others are errors.
  bool read_string_array(std::string_view key, std::vector<StringItem>& out);
  // A sub-table (standard or inline), or null (absent or wrong type, recorded).
  const toml::table* read_table(std::string_view key);
  // An array meant to hold tables ([[key]] or an array of inline tables), or null; elements
  // that are not tables are recorded as errors (the caller skips them).
  const toml::array* read_table_array(std::string_view key);

  // Reports every key of the table not asked for.
  void finish();

 private:
  void type_error(const toml::node& node, std::string_view key, std::string_view expected);

  const toml::table& table_;
  std::string path_;
  Diagnostics& diag_;
  std::vector<std::string> known_;
};

}  // namespace hikyaku::config::detail
