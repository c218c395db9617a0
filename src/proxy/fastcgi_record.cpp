#include "proxy/fastcgi_record.h"

#include <algorithm>

namespace gatehouse::proxy::fcgi {

namespace {

constexpr uint8_t kVersion = 1;
constexpr uint16_t kResponderRole = 1;
constexpr uint8_t kKeepConn = 1;

void appendHeader(std::string& out, RecordType t, uint16_t id, size_t length, size_t padding) {
  const char h[kHeaderSize] = {
      static_cast<char>(kVersion),    static_cast<char>(t),
      static_cast<char>(id >> 8),     static_cast<char>(id & 0xff),
      static_cast<char>(length >> 8), static_cast<char>(length & 0xff),
      static_cast<char>(padding),     0,
  };
  out.append(h, kHeaderSize);
}

void appendLength(std::string& out, size_t n) {
  if (n < 128) {
    out.push_back(static_cast<char>(n));
    return;
  }
  const auto v = static_cast<uint32_t>(n) | 0x80000000u;
  const char b[4] = {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xff),
                     static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
  out.append(b, 4);
}

}  // namespace

void appendBeginRequest(std::string& out, uint16_t requestId, bool keepConn) {
  appendHeader(out, RecordType::BeginRequest, requestId, 8, 0);
  const char body[8] = {
      0, static_cast<char>(kResponderRole), static_cast<char>(keepConn ? kKeepConn : 0), 0, 0, 0, 0, 0};
  out.append(body, 8);
}

void appendPair(std::string& out, std::string_view name, std::string_view value) {
  appendLength(out, name.size());
  appendLength(out, value.size());
  out.append(name).append(value);
}

void appendStream(std::string& out, RecordType t, uint16_t requestId, std::string_view content) {
  while (!content.empty()) {
    const size_t n = std::min(content.size(), kMaxContent);
    // Padded to a multiple of 8, as the specification recommends (and Go's client does).
    const size_t padding = (8 - n % 8) % 8;
    appendHeader(out, t, requestId, n, padding);
    out.append(content.substr(0, n));
    out.append(padding, '\0');
    content.remove_prefix(n);
  }
}

void appendStreamEnd(std::string& out, RecordType t, uint16_t requestId) {
  appendHeader(out, t, requestId, 0, 0);
}

RecordReader::Result RecordReader::feed(std::string_view data, Sink& sink) {
  while (!data.empty()) {
    if (!inRecord_) {
      const size_t take = std::min(kHeaderSize - have_, data.size());
      std::copy_n(data.data(), take, header_ + have_);
      have_ += take;
      data.remove_prefix(take);
      if (have_ < kHeaderSize) {
        return Result::More;
      }
      if (header_[0] != kVersion) {
        return Result::BadVersion;
      }
      have_ = 0;
      type_ = static_cast<RecordType>(header_[1]);
      id_ = static_cast<uint16_t>((header_[2] << 8) | header_[3]);
      content_ = (static_cast<size_t>(header_[4]) << 8) | header_[5];
      padding_ = header_[6];
      inRecord_ = true;
    }
    if (content_ > 0 && !data.empty()) {
      const size_t n = std::min(content_, data.size());
      content_ -= n;
      const std::string_view piece = data.substr(0, n);
      data.remove_prefix(n);
      if (!sink.onRecordContent(type_, id_, piece)) {
        return Result::Stopped;
      }
    }
    if (content_ == 0 && padding_ > 0) {
      const size_t n = std::min(padding_, data.size());
      padding_ -= n;
      data.remove_prefix(n);
    }
    if (content_ == 0 && padding_ == 0) {
      inRecord_ = false;
      if (!sink.onRecordEnd(type_, id_)) {
        return Result::Stopped;
      }
    }
  }
  return Result::More;
}

}  // namespace gatehouse::proxy::fcgi
