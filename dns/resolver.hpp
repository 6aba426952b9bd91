// The one DNS interface of the program: relay (MX/A/AAAA, RFC 5321 §5.1), auth (TXT/PTR) and
// doctor (CNAME) ask through it; UnboundResolver, CachingResolver and ZoneFileResolver
// implement it. Failures are values on the answer (types.hpp), never exceptions.
#pragma once
#include <string>
#include <utility>

#include <boost/asio/awaitable.hpp>

#include "dns/types.hpp"

namespace hikyaku::dns {

class Resolver {
 public:
  virtual ~Resolver() = default;

  // Looks up `name` (any spelling: case and a trailing dot do not matter) for `type` (MX, A,
  // AAAA, TXT, PTR, CNAME, NS; SOA gives the status and TTL only). CNAMEs are followed except
  // for a CNAME query. An invalid name is NXDOMAIN with a detail. Safe to call from any
  // thread and any executor; the coroutine resumes on the caller's executor. Never throws
  // for DNS reasons (only std::bad_alloc and the like).
  virtual asio::awaitable<DnsAnswer> query(std::string name, RecordType type) = 0;
};

}  // namespace hikyaku::dns
