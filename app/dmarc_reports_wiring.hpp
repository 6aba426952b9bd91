// DMARC aggregate reports (RFC 9990) on the shared report machinery (reports/, app/report_queue,
// app/report_scheduler): the day's store at <queue.directory>/reports/dmarc, who reports
// ([reports] sender, organization_name, contact_info), and the scheduler's "send day": a
// stored day's reports, gzip'd, DKIM-signed and queued to each destination its rua= allows.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "app/report_queue.hpp"
#include "config/config.hpp"
#include "core/asio.hpp"
#include "core/expected.hpp"
#include "dmarc_reports/day_reports.hpp"
#include "dns/resolver.hpp"
#include "reports/daily_store.hpp"

namespace hikyaku::app {

// <queue.directory>/reports/dmarc with the [reports] bounds.
reports::DailyStoreOptions dmarc_store_options(const config::Config& config);
core::Expected<std::unique_ptr<reports::DailyStore>, std::string> open_dmarc_store(const config::Config& config);
core::Expected<std::vector<std::string>, std::string> read_dmarc_day(const reports::DailyStore& store,
                                                                     const std::string& day);

// The forwarding domain (of the reports sender address), organization_name or that domain,
// contact_info or the sender address, and this program's name and version.
dmarc_reports::Reporter dmarc_reporter(const config::Config& config);

// The scheduler's "send day" for DMARC: true when every report of `day` is queued to every
// allowed destination (the day is then removed); false keeps the day for the next run. With
// [reports] dmarc_reports off the day is dropped unsent. `now` dates the mails.
asio::awaitable<bool> send_dmarc_day(reports::DailyStore& store, std::shared_ptr<dns::Resolver> resolver,
                                     std::shared_ptr<const config::Config> config, ReportQueueContext queue,
                                     std::string day, std::int64_t now);

}  // namespace hikyaku::app
