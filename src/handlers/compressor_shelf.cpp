#include "handlers/compressor_shelf.h"

namespace gatehouse::handlers {

namespace {

// What a body holds: the shelf's compressor, which goes back to the shelf with the body.
class LentCompressor final : public Compressor {
 public:
  LentCompressor(std::weak_ptr<CompressorShelf> shelf, size_t index, std::unique_ptr<Compressor> inner)
      : shelf_(std::move(shelf)), index_(index), inner_(std::move(inner)) {}
  ~LentCompressor() override {
    if (auto shelf = shelf_.lock()) {
      shelf->giveBack(index_, std::move(inner_));
    }
  }
  LentCompressor(const LentCompressor&) = delete;
  LentCompressor& operator=(const LentCompressor&) = delete;

  bool compress(std::string_view in, Mode mode, std::string& out) override {
    return inner_->compress(in, mode, out);
  }
  bool reset() override { return inner_->reset(); }

 private:
  std::weak_ptr<CompressorShelf> shelf_;
  size_t index_;
  std::unique_ptr<Compressor> inner_;
};

}  // namespace

void CompressorShelf::giveBack(size_t index, std::unique_ptr<Compressor> c) {
  auto& idle = idle_[index];
  if (c && idle.size() < kKeepPerEncoding && c->reset()) {
    idle.push_back(std::move(c));
  }
}

std::unique_ptr<Compressor> CompressorShelf::lend(size_t index, std::unique_ptr<Compressor> inner) {
  if (!inner) {
    return nullptr;
  }
  return std::make_unique<LentCompressor>(weak_from_this(), index, std::move(inner));
}

}  // namespace gatehouse::handlers
