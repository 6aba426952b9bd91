// Log fields written the way Postfix writes them, so a postmaster's greps and tools still work:
// relay=host[address]:port and delays=a/b/c/d.
#pragma once
#include <chrono>
#include <string>
#include <string_view>

namespace hikyaku::core {

// "mx.example.net[2001:db8::25]:25" from the host name and the endpoint ("[2001:db8::25]:25"
// or "192.0.2.1:25"); the address stands for the name when there is none; "none" when no
// host was reached.
std::string relay_field(std::string_view host, std::string_view endpoint);

// "0.12/0/0.03/1.2": before the queue (our checks after the end of data), in the queue, the
// connection setup (DNS, connect, greeting, EHLO, TLS) and the transmission, in seconds with at
// most two decimals, "0" under 5 ms (Postfix's delays=).
std::string delays_field(std::chrono::steady_clock::duration before_queue, std::chrono::steady_clock::duration in_queue,
                         std::chrono::steady_clock::duration setup, std::chrono::steady_clock::duration transmission);

}  // namespace hikyaku::core
