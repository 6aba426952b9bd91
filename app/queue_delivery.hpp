// The queue's way out (DESIGN §1 step 7): queue::Delivery over relay::deliver_to_domain with
// the configuration in force, and the conversion of a relay outcome into the queue's
// per-recipient result. RFC 6531 §3.4 / RFC 6152: SMTPUTF8 and 8BITMIME are asked for again
// when the stored envelope or message needs them.
#pragma once
#include <functional>
#include <memory>

#include "app/forwarding_sink.hpp"
#include "queue/queue_runner.hpp"

namespace hikyaku::app {

// One result per recipient of the outcome (made-up 451s included), host the upstream's.
queue::AttemptResult to_attempt(const relay::DomainOutcome& outcome);

class RelayDelivery : public queue::Delivery {
 public:
  using ContextProvider = std::function<std::shared_ptr<const ForwardingContext>()>;
  RelayDelivery(asio::any_io_executor executor, ContextProvider context)
      : executor_(std::move(executor)), context_(std::move(context)) {}
  asio::awaitable<queue::AttemptResult> deliver(queue::DeliveryJob job) override;

 private:
  asio::any_io_executor executor_;
  ContextProvider context_;
};

}  // namespace hikyaku::app
