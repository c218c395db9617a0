// gatehouse build-info: what `caddy build-info` tells of a Go build (toolchain, target, main
// module, dependencies), for this C++ build: the compiler, the target, and the version of each
// library as the running process has it (the shared libraries' own version calls; llhttp and
// nlohmann-json are compiled in, so their headers' version).

#include <curl/curl.h>
#include <llhttp.h>
#include <nghttp2/nghttp2.h>
#include <openssl/crypto.h>
#include <uv.h>
#include <zlib.h>
#include <zstd.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/command.h"

// ldns's headers redefine bool for C; its one version call is all this file needs.
extern "C" const char* ldns_version(void);

namespace gatehouse::cli {

namespace {

std::string compiler() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("gcc ") + __VERSION__;
#else
  return "unknown";
#endif
}

std::string arch() {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#else
  return "unknown";
#endif
}

std::string dotted(int major, int minor, int patch) {
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

}  // namespace

int runBuildInfo(const std::vector<std::string>& args) {  // arguments ignored, flags refused, as caddy's
  Flags flags;
  if (!parseFlags(args, {}, {}, flags, "build-info")) {
    return 1;
  }
  std::cout << "compiler:   " << compiler() << "\n"
            << "cxx_std:    " << __cplusplus << "\n"
            << "os:         linux\n"
            << "arch:       " << arch() << "\n"
            << "path:       gatehouse\n"
            << "main:       gatehouse " << GATEHOUSE_VERSION << "\n"
            << "dependencies:\n"
            << "openssl " << OpenSSL_version(OPENSSL_VERSION) << "\n"
            << "libuv " << uv_version_string() << "\n"
            << "nghttp2 " << nghttp2_version(0)->version_str << "\n"
            << "llhttp " << dotted(LLHTTP_VERSION_MAJOR, LLHTTP_VERSION_MINOR, LLHTTP_VERSION_PATCH)
            << " (compiled in)\n"
            << "libcurl " << curl_version_info(CURLVERSION_NOW)->version << "\n"
            << "zlib " << zlibVersion() << "\n"
            << "zstd " << ZSTD_versionString() << "\n"
            << "ldns " << ldns_version() << "\n"
            << "nlohmann_json "
            << dotted(NLOHMANN_JSON_VERSION_MAJOR, NLOHMANN_JSON_VERSION_MINOR, NLOHMANN_JSON_VERSION_PATCH)
            << " (compiled in)\n"
            << "re2 (no version call)\n"
            << "libcrypt (no version call)\n";
  return 0;
}

}  // namespace gatehouse::cli
