#pragma once
// Streaming compressors for the `encode` handler (gzip over zlib, zstd over libzstd) and a
// BodySource that compresses another source piece by piece. Loop thread only.

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "gatehouse/runtime/body_source.h"
#include "gatehouse/runtime/trailer_source.h"

namespace gatehouse::handlers {

class Compressor {
 public:
  enum class Mode {
    Continue,  // the compressor may hold data back for a better ratio
    Flush,     // everything given so far must be decodable by the client (SSE)
    Finish,    // end of the stream
  };
  virtual ~Compressor() = default;
  // Appends the compressed form of `in` to `out`; false on a library error.
  virtual bool compress(std::string_view in, Mode mode, std::string& out) = 0;
  // Ready for a new stream with the same settings, keeping the memory it allocated;
  // false when the library could not reset it (then it is freed, not reused).
  virtual bool reset() = 0;
};

// gzip at `level` (-3..9: Go's levels, negatives included), as Go's compress/gzip writer.
std::unique_ptr<Compressor> makeGzipCompressor(int level);
// zstd at a libzstd `level` with a 128 KiB window, as Caddy's klauspost encoder.
std::unique_ptr<Compressor> makeZstdCompressor(int level, bool checksum = true);

// Pulls `inner` and hands each piece, compressed, to the sink. Pieces that compress to
// nothing are not delivered: the next inner piece is pulled at once. Output per piece is
// bounded by the inner piece size plus the codec's overhead, so nothing is accumulated.
// The inner source's trailers (a proxied response's) follow the compressed body, as they
// do through Caddy's encode, which leaves the header map's trailer entries alone.
class EncodedBody final : public runtime::BodySource,
                          public runtime::TrailerSource,
                          private runtime::BodySink {
 public:
  // `flushEachPiece`: flush the compressor after every piece (text/event-stream).
  EncodedBody(std::unique_ptr<runtime::BodySource> inner, std::unique_ptr<Compressor> compressor,
              bool flushEachPiece);
  // Decides on the first piece, as Caddy's encode decides on the first write: returns the
  // compressor, or null to pass the body through untouched (no copy). Called once, before
  // that piece goes on, so it may still edit the response head the session is holding.
  using Decider = std::function<std::unique_ptr<Compressor>(std::string_view firstPiece)>;
  EncodedBody(std::unique_ptr<runtime::BodySource> inner, Decider decide, bool flushEachPiece);

  // Go's response buffer (net/http, behind a handler that never flushes): the compressed
  // output is held until it passes `buffer` bytes, when it goes on and the head with it
  // (chunked); when the body ends first, `*length` gets its size, so the held head goes
  // out with a Content-Length, as Go's server gives a finished handler's buffered body.
  // A body decided on its first piece that ends before any byte came: `length` (the
  // response's streamLength) becomes 0, as Go's server gives a handler that wrote nothing a
  // Content-Length: 0 (nothing flushed its head: no write, no flush).
  void lengthWhenEmpty(uint64_t* length) { emptyLength_ = length; }
  void holdLikeGo(size_t buffer, uint64_t* length) {
    goBuffer_ = buffer;
    lengthAtEnd_ = length;
  }

  void pull(uv_loop_t* loop, runtime::BodySink& sink) override;
  [[nodiscard]] const runtime::HeaderList* trailers() const override {
    return runtime::trailersOf(inner_.get());
  }

 private:
  // BodySink (of the inner source)
  void onBodyData(std::string_view data, bool eof) override;
  void onBodyError(int uvError) override;

  std::unique_ptr<runtime::BodySource> inner_;
  std::unique_ptr<Compressor> compressor_;  // null: identity (after the decider said so)
  Decider decide_;                          // until the first piece
  bool flushEachPiece_;
  uv_loop_t* loop_ = nullptr;
  runtime::BodySink* sink_ = nullptr;
  std::string out_;
  size_t goBuffer_ = 0;              // holdLikeGo's buffer; 0 once the held bytes went on
  uint64_t* lengthAtEnd_ = nullptr;  // the response's streamLength, set when all fit
  uint64_t* emptyLength_ = nullptr;  // (lengthWhenEmpty)
};

}  // namespace gatehouse::handlers
