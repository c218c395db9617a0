#include "handlers/encode_body.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>

namespace gatehouse::handlers {

namespace {

constexpr size_t kOutStep = 16 * 1024;

// Output room per codec call: about the input's size, at most kOutStep. An SSE event is
// ~100 bytes; growing the buffer by 16 KiB (or zstd's 128 KiB CStreamOutSize) for it would
// zero-fill that much per event. Too little room only means another turn of the loop.
size_t outStep(size_t inSize) {
  return std::min(kOutStep, inSize + inSize / 8 + 256);
}

class GzipCompressor final : public Compressor {
 public:
  explicit GzipCompressor(int level) {
    // Go's negative levels: -1 zlib's default, -2 Huffman coding only, -3 klauspost's
    // stateless mode (fast, no history: zlib's fastest level is the nearest).
    const int strategy = level == -2 ? Z_HUFFMAN_ONLY : Z_DEFAULT_STRATEGY;
    const int zlevel = level == -2 ? Z_DEFAULT_COMPRESSION : level == -3 ? Z_BEST_SPEED : level;
    // windowBits 15 + 16: a gzip wrapper rather than zlib's.
    ok_ = deflateInit2(&z_, zlevel, Z_DEFLATED, 15 + 16, 8, strategy) == Z_OK;
  }
  ~GzipCompressor() override {
    if (ok_) {
      deflateEnd(&z_);
    }
  }
  GzipCompressor(const GzipCompressor&) = delete;
  GzipCompressor& operator=(const GzipCompressor&) = delete;

  bool reset() override {
    done_ = false;
    return ok_ && deflateReset(&z_) == Z_OK;
  }

  bool compress(std::string_view in, Mode mode, std::string& out) override {
    if (!ok_ || done_) {
      return false;
    }
    const int flush = mode == Mode::Finish ? Z_FINISH : mode == Mode::Flush ? Z_SYNC_FLUSH : Z_NO_FLUSH;
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    for (;;) {
      const size_t before = out.size();
      const size_t step = outStep(z_.avail_in);
      out.resize(before + step);
      z_.next_out = reinterpret_cast<Bytef*>(out.data() + before);
      z_.avail_out = static_cast<uInt>(step);
      const int rc = deflate(&z_, flush);
      out.resize(before + step - z_.avail_out);
      if (rc == Z_STREAM_END) {
        done_ = true;
        return true;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return false;
      }
      // Done when all input is consumed and deflate did not fill the buffer (so nothing
      // more is pending for this flush mode).
      if (z_.avail_in == 0 && z_.avail_out != 0 && flush != Z_FINISH) {
        return true;
      }
    }
  }

 private:
  z_stream z_{};
  bool ok_ = false;
  bool done_ = false;
};

class ZstdCompressor final : public Compressor {
 public:
  ZstdCompressor(int level, bool checksum) : cctx_(ZSTD_createCCtx()) {
    if (cctx_ != nullptr) {
      ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, level);
      ZSTD_CCtx_setParameter(cctx_, ZSTD_c_windowLog, 17);  // 128 KiB, as Caddy limits it
      ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, checksum ? 1 : 0);
    }
  }
  ~ZstdCompressor() override { ZSTD_freeCCtx(cctx_); }
  ZstdCompressor(const ZstdCompressor&) = delete;
  ZstdCompressor& operator=(const ZstdCompressor&) = delete;

  bool reset() override {
    done_ = false;
    // The session only: level, window and checksum stay as set.
    return cctx_ != nullptr && ZSTD_isError(ZSTD_CCtx_reset(cctx_, ZSTD_reset_session_only)) == 0U;
  }

  bool compress(std::string_view in, Mode mode, std::string& out) override {
    if (cctx_ == nullptr || done_) {
      return false;
    }
    const ZSTD_EndDirective end = mode == Mode::Finish  ? ZSTD_e_end
                                  : mode == Mode::Flush ? ZSTD_e_flush
                                                        : ZSTD_e_continue;
    ZSTD_inBuffer input{in.data(), in.size(), 0};
    for (;;) {
      const size_t before = out.size();
      const size_t step = outStep(input.size - input.pos);
      out.resize(before + step);
      ZSTD_outBuffer output{out.data() + before, step, 0};
      const size_t remaining = ZSTD_compressStream2(cctx_, &output, &input, end);
      out.resize(before + output.pos);
      if (ZSTD_isError(remaining) != 0U) {
        return false;
      }
      if (end == ZSTD_e_continue) {
        if (input.pos == input.size) {
          return true;
        }
      } else if (remaining == 0) {
        done_ = end == ZSTD_e_end;
        return true;
      }
    }
  }

 private:
  ZSTD_CCtx* cctx_;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<Compressor> makeGzipCompressor(int level) {
  return std::make_unique<GzipCompressor>(level);
}
std::unique_ptr<Compressor> makeZstdCompressor(int level, bool checksum) {
  return std::make_unique<ZstdCompressor>(level, checksum);
}

EncodedBody::EncodedBody(std::unique_ptr<runtime::BodySource> inner, std::unique_ptr<Compressor> compressor,
                         bool flushEachPiece)
    : inner_(std::move(inner)), compressor_(std::move(compressor)), flushEachPiece_(flushEachPiece) {}

EncodedBody::EncodedBody(std::unique_ptr<runtime::BodySource> inner, Decider decide, bool flushEachPiece)
    : inner_(std::move(inner)), decide_(std::move(decide)), flushEachPiece_(flushEachPiece) {}

void EncodedBody::pull(uv_loop_t* loop, runtime::BodySink& sink) {
  loop_ = loop;
  sink_ = &sink;
  inner_->pull(loop, *this);
}

void EncodedBody::onBodyData(std::string_view data, bool eof) {
  if (decide_) {
    Decider decide = std::move(decide_);
    decide_ = nullptr;
    compressor_ = decide(data);
    if (!compressor_ && data.empty() && eof && emptyLength_ != nullptr) {
      *emptyLength_ = 0;
    }
  }
  if (!compressor_) {
    sink_->onBodyData(data, eof);  // identity: straight through
    return;
  }
  if (goBuffer_ == 0) {
    out_.clear();  // (held bytes stay in out_ until they went on)
  }
  const auto mode = eof               ? Compressor::Mode::Finish
                    : flushEachPiece_ ? Compressor::Mode::Flush
                                      : Compressor::Mode::Continue;
  if (!compressor_->compress(data, mode, out_)) {
    sink_->onBodyError(UV_EIO);
    return;
  }
  if (goBuffer_ != 0) {
    if (eof && out_.size() <= goBuffer_ && lengthAtEnd_ != nullptr) {
      *lengthAtEnd_ = out_.size();  // all of it fit in Go's buffer: a Content-Length
    } else if (!eof && out_.size() <= goBuffer_) {
      inner_->pull(loop_, *this);  // still within the buffer: the head waits
      return;
    }
    goBuffer_ = 0;
  }
  if (out_.empty() && !eof) {
    // Called from the inner source's callback, not from inside our pull(): safe to pull.
    inner_->pull(loop_, *this);
    return;
  }
  // The sink may destroy us (end of body): nothing touches members after this call.
  sink_->onBodyData(out_, eof);
}

void EncodedBody::onBodyError(int uvError) {
  sink_->onBodyError(uvError);
}

}  // namespace gatehouse::handlers
