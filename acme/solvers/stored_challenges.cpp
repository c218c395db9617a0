#include "gatehouse/acme/stored_challenges.h"

#include <fcntl.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "storage/storage_keys.h"

namespace gatehouse::acme {

namespace {

// The whole file when it is at most `cap` bytes; nullopt when missing, unreadable or larger.
std::optional<std::string> readSmallFile(const std::string& path, size_t cap) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    return std::nullopt;
  }
  std::string out;
  char buf[4096];
  bool ok = true;
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n == 0) {
      break;
    }
    if (n < 0 || out.size() + static_cast<size_t>(n) > cap) {
      ok = false;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return ok ? std::optional<std::string>(std::move(out)) : std::nullopt;
}

std::string stringField(const nlohmann::json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

StoredChallenges::StoredChallenges(std::string storageRoot, std::vector<std::string> issuerKeys)
    : root_(std::move(storageRoot)), issuerKeys_(std::move(issuerKeys)) {}

std::string StoredChallenges::key(const std::string& issuerKey, std::string_view identifier) {
  return "acme/" + storage_keys::safe(issuerKey) + "/challenge_tokens/" + storage_keys::safe(identifier) +
         ".json";
}

std::optional<StoredChallenge> StoredChallenges::parse(std::string_view json) {
  const auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object()) {
    return std::nullopt;
  }
  StoredChallenge c;
  c.type = stringField(j, "type");
  c.token = stringField(j, "token");
  c.keyAuthorization = stringField(j, "keyAuthorization");
  if (auto id = j.find("identifier"); id != j.end() && id->is_object()) {
    c.identifier = stringField(*id, "value");
  }
  if (c.token.empty() || c.keyAuthorization.empty() || c.identifier.empty()) {
    return std::nullopt;
  }
  return c;
}

std::optional<StoredChallenge> StoredChallenges::load(std::string_view identifier) const {
  if (identifier.empty()) {
    return std::nullopt;
  }
  for (const auto& issuer : issuerKeys_) {
    // storage_keys::safe leaves no '/' nor "..": the path stays under the root.
    if (auto text = readSmallFile(root_ + "/" + key(issuer, identifier), kMaxBytes)) {
      return parse(*text);  // certmagic stops at the first issuer with a file
    }
  }
  return std::nullopt;
}

}  // namespace gatehouse::acme
