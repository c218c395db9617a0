#include "proxy/websocket_handshake.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <stdexcept>

#include "gatehouse/runtime/header_list.h"

namespace gatehouse::proxy {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";  // RFC 6455 1.3

std::string base64(const unsigned char* data, size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(static_cast<size_t>(n));
  return out;
}

}  // namespace

bool isH2WebSocket(const runtime::Request& req) {
  return req.versionMajor == 2 && req.method == "CONNECT" &&
         runtime::equalsIgnoreCase(req.upgrade, "websocket");
}

std::string newWebSocketKey() {
  std::array<unsigned char, 16> key{};
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed for a Sec-WebSocket-Key");
  }
  return base64(key.data(), key.size());
}

std::string webSocketAccept(std::string_view key) {
  std::string text(key);
  text.append(kGuid);
  std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return base64(digest.data(), digest.size());
}

bool acceptUpstreamWebSocket(runtime::HeaderList& headers, std::string_view key) {
  if (!runtime::equalsIgnoreCase(headers.get("Upgrade"), "websocket") ||
      headers.get("Sec-WebSocket-Accept") != webSocketAccept(key)) {
    return false;
  }
  headers.remove("Sec-WebSocket-Accept");
  return true;
}

}  // namespace gatehouse::proxy
