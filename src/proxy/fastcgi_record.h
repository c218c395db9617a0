#pragma once
// FastCGI 1.0 records (the wire format of Caddy's fastcgi transport): writing the
// responder's request (BEGIN_REQUEST, PARAMS name-value pairs, STDIN) and reading the
// application's answer (STDOUT, STDERR, END_REQUEST) incrementally, one socket read at a
// time, without holding whole records: content reaches the sink as it arrives.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::proxy::fcgi {

enum class RecordType : uint8_t {
  BeginRequest = 1,
  AbortRequest = 2,
  EndRequest = 3,
  Params = 4,
  Stdin = 5,
  Stdout = 6,
  Stderr = 7,
  Data = 8,
  GetValues = 9,
  GetValuesResult = 10,
  UnknownType = 11,
};

constexpr size_t kHeaderSize = 8;
constexpr size_t kMaxContent = 65535;  // a record's content length is 16 bits

// BEGIN_REQUEST for the responder role; `keepConn` false: the application closes the
// connection when the request ends (Caddy's transport dials per request).
void appendBeginRequest(std::string& out, uint16_t requestId, bool keepConn);
// One name-value pair in PARAMS encoding (1-byte lengths below 128, else 4 bytes).
void appendPair(std::string& out, std::string_view name, std::string_view value);
// `content` as a stream of records of type `t`, split at kMaxContent (nothing for empty
// content); `appendStreamEnd` writes the empty record that closes the stream.
void appendStream(std::string& out, RecordType t, uint16_t requestId, std::string_view content);
void appendStreamEnd(std::string& out, RecordType t, uint16_t requestId);

class RecordReader {
 public:
  class Sink {
   public:
    virtual ~Sink() = default;
    // A piece of a record's content (never empty). Return false to stop reading at once.
    virtual bool onRecordContent(RecordType t, uint16_t requestId, std::string_view piece) = 0;
    // The record ended (also for empty records). Return false to stop reading at once.
    virtual bool onRecordEnd(RecordType t, uint16_t requestId) = 0;
  };
  enum class Result { More, Stopped, BadVersion };

  // Consumes `data`; More when all of it was taken and more may follow.
  Result feed(std::string_view data, Sink& sink);
  // Between records (an EOF here is a clean end of the stream).
  [[nodiscard]] bool atBoundary() const { return have_ == 0 && !inRecord_; }

 private:
  unsigned char header_[kHeaderSize]{};
  size_t have_ = 0;  // header bytes gathered
  RecordType type_ = RecordType::UnknownType;
  uint16_t id_ = 0;
  size_t content_ = 0;  // content bytes still to come
  size_t padding_ = 0;  // padding bytes still to skip
  bool inRecord_ = false;
};

}  // namespace gatehouse::proxy::fcgi
