#pragma once
// The step that reads the request body before a handler whose config names
// {http.request.body} (router/body_capture.h): Caddy reads it synchronously while the
// placeholder renders; Gatehouse pauses the chain here until the bytes are in.

#include <memory>

#include "gatehouse/runtime/handler.h"

namespace gatehouse::handlers {

std::unique_ptr<runtime::Handler> makeBodyCapture();

}  // namespace gatehouse::handlers
