// A message as received: the raw octets (dot-unstuffed, CRLF line ends) and an index of its
// header fields built once. RFC 5322 §2.1-2.2 (header fields, folding), §3.6 (fields).
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hikyaku::core {

struct HeaderField {
  size_t offset = 0;       // start of the field name in raw()
  size_t length = 0;       // up to and including the CRLF that ends the (unfolded) field
  size_t name_length = 0;  // length of the field name (before ':')
};

class Message {
 public:
  Message() = default;
  explicit Message(std::string raw);  // builds the header index
  // This message with `fields` (whole header fields, each ending in CRLF) before it. The
  // buffer is reused: the message is not copied when its capacity has room for `fields`.
  Message prepend(std::string_view fields) &&;

  const std::string& raw() const { return raw_; }
  size_t size() const { return raw_.size(); }
  const std::vector<HeaderField>& fields() const { return fields_; }
  std::string_view field_name(const HeaderField& f) const;
  // The field's value after the colon, with folding CRLFs kept, final CRLF removed.
  std::string_view field_value(const HeaderField& f) const;
  // The whole field as it appears, final CRLF removed ("Subject: hi").
  std::string_view field_text(const HeaderField& f) const;
  // Offset of the body (just after the empty line), or size() when there is none.
  size_t body_offset() const { return body_offset_; }
  std::string_view body() const;
  std::string_view header_block() const;
  // Every field with this name (case-insensitive), in order.
  std::vector<const HeaderField*> find(std::string_view name) const;

 private:
  void index();
  std::string raw_;
  std::vector<HeaderField> fields_;
  size_t body_offset_ = 0;
};

}  // namespace hikyaku::core
