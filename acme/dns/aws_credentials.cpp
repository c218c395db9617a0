#include "dns/aws_credentials.h"

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

namespace gatehouse::acme::dns::aws {

namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos)
    return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  if (in)
    text << in.rdbuf();
  return text.str();
}

std::string fileFrom(const char* env, const char* underHome) {
  if (const char* v = std::getenv(env); v != nullptr && *v != '\0')
    return v;
  const char* home = std::getenv("HOME");
  return std::string(home != nullptr ? home : "") + underHome;
}

}  // namespace

std::optional<std::map<std::string, std::string>> iniSection(const std::string& text,
                                                             const std::string& section) {
  std::istringstream in(text);
  std::string line;
  bool inside = false;
  std::optional<std::map<std::string, std::string>> out;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#' || line[0] == ';')
      continue;
    if (line.front() == '[' && line.back() == ']') {
      inside = trim(line.substr(1, line.size() - 2)) == section;
      if (inside && !out)
        out.emplace();
      continue;
    }
    const auto eq = line.find('=');
    if (inside && eq != std::string::npos)
      (*out)[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
  }
  return out;
}

ProfileResult profileCredentials(std::string profile) {
  if (profile.empty()) {
    const char* env = std::getenv("AWS_PROFILE");
    profile = env != nullptr && *env != '\0' ? env : "default";
  }
  const std::string credentialsFile = fileFrom("AWS_SHARED_CREDENTIALS_FILE", "/.aws/credentials");
  const std::string configFile = fileFrom("AWS_CONFIG_FILE", "/.aws/config");
  auto section = iniSection(readFile(credentialsFile), profile);
  std::string where = credentialsFile + " [" + profile + "]";
  if (!section || !section->contains("aws_access_key_id")) {
    const std::string name = profile == "default" ? "default" : "profile " + profile;
    if (auto fromConfig = iniSection(readFile(configFile), name)) {
      section = fromConfig;
      where = configFile + " [" + name + "]";
    }
  }
  if (!section)
    return {std::nullopt, ""};
  for (const char* other :
       {"role_arn", "sso_start_url", "sso_session", "credential_process", "web_identity_token_file"}) {
    if (section->contains(other) && !section->contains("aws_access_key_id"))
      return {std::nullopt, where + " uses " + other + ", which is not supported yet (only static keys)"};
  }
  Credentials c{(*section)["aws_access_key_id"], (*section)["aws_secret_access_key"],
                (*section)["aws_session_token"]};
  if (c.accessKeyId.empty() || c.secretAccessKey.empty())
    return {std::nullopt, where + " has no aws_access_key_id and aws_secret_access_key"};
  return {c, ""};
}

}  // namespace gatehouse::acme::dns::aws
