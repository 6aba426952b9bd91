// Concurrent gathering (DESIGN §2: doctor asks through dns/): one coroutine per question,
// all of a round in flight together, the io_context run until they are done.
#include "doctor/gather.hpp"

#include <boost/asio.hpp>

#include "dns/direct_query.hpp"

namespace hikyaku::doctor {

namespace {

boost::asio::awaitable<void> ask(dns::Resolver& resolver, std::string label, QueryKey key, Answers& answers) {
  dns::DnsAnswer answer = co_await resolver.query(key.name, key.type);
  Observation o;
  o.rcode = rcode_of(answer.status);
  o.answer = std::move(answer);
  o.server = std::move(label);
  answers.add(key, std::move(o));
}

boost::asio::awaitable<void> ask_direct(QueryKey key, std::chrono::milliseconds timeout, Answers& answers) {
  Observation o;
  o.server = key.server;
  if (auto endpoint = dns::parse_server_endpoint(key.server)) {
    dns::DirectReply reply = co_await dns::query_direct(*endpoint, key.name, key.type, timeout);
    o.answer = std::move(reply.answer);
    o.rcode = reply.rcode;
    o.authoritative = reply.authoritative;
    o.soa_serial = reply.soa_serial;
  } else {
    o.answer = dns::DnsAnswer::failure(key.name, key.type, dns::DnsStatus::servfail, "bad server address");
  }
  answers.add(key, std::move(o));
}

}  // namespace

GatherFn resolver_gatherer(boost::asio::io_context& io, dns::Resolver& resolver, std::string server_label,
                           std::chrono::milliseconds direct_timeout) {
  return [&io, &resolver, label = std::move(server_label), direct_timeout](const std::set<QueryKey>& keys,
                                                                            Answers& answers) {
    for (const auto& key : keys) {
      if (key.server.empty()) {
        boost::asio::co_spawn(io, ask(resolver, label, key, answers), boost::asio::detached);
      } else {
        boost::asio::co_spawn(io, ask_direct(key, direct_timeout, answers), boost::asio::detached);
      }
    }
    io.restart();
    io.run();
  };
}

}  // namespace hikyaku::doctor
