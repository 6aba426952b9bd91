// The durable store of one kind of report records (TLS-RPT, DMARC aggregate): one append-only
// file per UTC day (<dir>/<YYYY-MM-DD>.log, one record a line), fsync'd in batches, bounded in
// bytes per day, read back whole once the day is over; a line a crash cut short is skipped.
// What RFC 8460 §4 and RFC 9990 §3 daily aggregates are counted from, across restarts.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace hikyaku::reports {

struct DailyStoreOptions {
  std::string dir;                       // e.g. <spool>/reports/tls; created when missing
  std::uint64_t max_bytes_per_day = 0;   // a day's file never grows past it (newline included)
  std::size_t fsync_batch = 1;           // records per fsync; flush() syncs the rest
};

// "YYYY-MM-DD" of a Unix time, in UTC.
std::string utc_day(std::int64_t unix_seconds);
// True for a well-formed "YYYY-MM-DD" (digits and dashes in place; a real month and day).
bool is_day(std::string_view day);
// The Unix time of 00:00:00 UTC of a day (is_day() must hold).
std::int64_t day_start(std::string_view day);

class DailyStore {
 public:
  // Creates the directory when missing; an unusable directory is the error (its path and why).
  static core::Expected<DailyStore, std::string> open(DailyStoreOptions options);

  DailyStore(DailyStore&&) noexcept;
  DailyStore& operator=(DailyStore&&) noexcept;
  ~DailyStore();  // fsyncs what is not yet synced

  // Appends `record` and a newline to the file of the UTC day of `now`. False (and nothing
  // written) when the record holds a '\n', when the day's file would pass max_bytes_per_day
  // (counted in dropped()), or when the file cannot be opened or written.
  bool append(std::int64_t now, std::string_view record);
  // fsyncs the records written since the last sync.
  void flush();
  // Days with a file, oldest first.
  std::vector<std::string> days() const;
  // The complete lines of a day's file, in order; a last line without its newline (a crash
  // during the write) is skipped. A day without a file has no records.
  core::Expected<std::vector<std::string>, std::string> read_day(std::string_view day) const;
  // Deletes a day's file (after its reports were queued).
  void remove_day(std::string_view day);
  // Records refused by the byte bound since open.
  std::uint64_t dropped() const;
  const DailyStoreOptions& options() const;

 private:
  struct State;
  explicit DailyStore(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace hikyaku::reports
