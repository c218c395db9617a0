#pragma once
// RFC 8555 section 6.7 problem documents (RFC 7807) the ACME server answers errors with:
// thrown by the request handling code, turned into an application/problem+json response.

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace gatehouse::acme::server {

class AcmeProblem : public std::runtime_error {
 public:
  // `type` is the last part of "urn:ietf:params:acme:error:<type>".
  AcmeProblem(std::string type, const std::string& detail, int status)
      : std::runtime_error(detail), type_(std::move(type)), status_(status) {}

  [[nodiscard]] int status() const { return status_; }
  [[nodiscard]] const std::string& type() const { return type_; }
  [[nodiscard]] nlohmann::json toJson() const {
    return {{"type", "urn:ietf:params:acme:error:" + type_}, {"detail", what()}, {"status", status_}};
  }

 private:
  std::string type_;
  int status_;
};

inline AcmeProblem malformed(const std::string& detail) {
  return AcmeProblem("malformed", detail, 400);
}
inline AcmeProblem unauthorized(const std::string& detail) {
  return AcmeProblem("unauthorized", detail, 401);
}

}  // namespace gatehouse::acme::server
