// The relay's MTA-STS policies kept in the spool, one file per domain in <spool>/mta-sts/
// (RFC 8461 §5.1: cached policies survive a restart until max_age, so that an attacker who
// blocks the fetch after one cannot downgrade the domain). Files are written durably off the
// I/O thread; unreadable or invalid ones are logged and removed at load.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "core/asio.hpp"
#include "relay/mta_sts_cache.hpp"

namespace hikyaku::app {

// The directory of the spool the policies are kept in (queue/spool_io.hpp skips it in scans).
inline constexpr std::string_view kMtaStsDirName = "mta-sts";

class MtaStsSpoolStore final : public relay::MtaStsStore {
 public:
  // `writer`: where writes and removals run (the spool workers); null: nothing is written
  // (`hikyaku tls-policy` reads what the relay kept and changes nothing). A file larger than
  // `max_file_size` is not read.
  MtaStsSpoolStore(std::string spool_directory, asio::thread_pool* writer, size_t max_file_size);

  std::vector<relay::CachedMtaStsPolicy> load() override;
  void save(const relay::CachedMtaStsPolicy& cached) override;
  void remove(const std::string& domain) override;

  const std::string& directory() const { return directory_; }

 private:
  std::string directory_;
  asio::thread_pool* writer_;
  size_t max_file_size_;
};

}  // namespace hikyaku::app
