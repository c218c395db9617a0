#pragma once
// WebSocket over HTTP/2 (RFC 8441) to an HTTP/1.1 upstream: the client's extended CONNECT
// becomes an RFC 6455 handshake (GET with a key of our own), and the upstream's 101 is
// checked against that key before the stream is answered with a 200.

#include <string>
#include <string_view>

#include "gatehouse/runtime/exchange.h"

namespace gatehouse::proxy {

// An HTTP/2 extended CONNECT asking for a WebSocket (":protocol websocket").
bool isH2WebSocket(const runtime::Request& req);

// A fresh Sec-WebSocket-Key: 16 random bytes, base64 (RFC 6455 4.1).
std::string newWebSocketKey();

// The Sec-WebSocket-Accept an upstream must answer `key` with (RFC 6455 4.2.2).
std::string webSocketAccept(std::string_view key);

// The upstream's 101 completes the handshake for `key`: it upgrades to "websocket" and its
// Sec-WebSocket-Accept matches (RFC 6455 4.1, the client's checks). The accept field, which
// means nothing to the HTTP/2 client, is removed then.
bool acceptUpstreamWebSocket(runtime::HeaderList& headers, std::string_view key);

}  // namespace gatehouse::proxy
