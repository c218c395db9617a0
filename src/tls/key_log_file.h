#pragma once
// `insecure_secrets_log`: the TLS secrets of the handshakes a connection policy matches,
// appended to a file in NSS key log format (what SSLKEYLOGFILE holds and Wireshark reads),
// as Go's crypto/tls writes them for Caddy's KeyLogWriter: CLIENT_RANDOM for TLS 1.2, the
// four handshake/traffic secrets for TLS 1.3. OpenSSL's extra EXPORTER_SECRET (and the
// early-data labels) are left out, so the file holds the lines Caddy 2.6.2 would write.
//
// One object per file, shared by every policy naming it and by every worker: each line is
// one write(2) on an O_APPEND descriptor, under a mutex, so lines never interleave. The
// write goes to the page cache (a few microseconds for ~200 bytes); that cost on the
// event loop is accepted instead of a writer thread, which could lose the last secrets
// when the process dies, exactly when someone is debugging.

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

namespace gatehouse::tls {

class KeyLogFile {
 public:
  // Opens (creating with mode 0600, appending) as Caddy does. Throws std::system_error
  // ("open PATH: reason") when the file cannot be opened.
  static std::shared_ptr<KeyLogFile> open(const std::string& path);

  struct Opened {  // only open() makes one (it holds the descriptor)
    int fd;
  };
  KeyLogFile(std::string path, Opened opened) : path_(std::move(path)), fd_(opened.fd) {}
  ~KeyLogFile();
  KeyLogFile(const KeyLogFile&) = delete;
  KeyLogFile& operator=(const KeyLogFile&) = delete;

  [[nodiscard]] const std::string& path() const { return path_; }
  // One line from OpenSSL's keylog callback (no newline). Lines with a label Go does not
  // write are dropped. Any thread.
  void write(std::string_view line);

  // Whether a key log line with this label belongs in the file.
  static bool wanted(std::string_view line);

 private:
  std::string path_;
  int fd_;
  std::mutex mu_;
};

}  // namespace gatehouse::tls
