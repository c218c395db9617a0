#pragma once
// AWS credentials from the shared files, as the AWS SDK reads them for a named profile:
// ~/.aws/credentials (AWS_SHARED_CREDENTIALS_FILE) section [name], then ~/.aws/config
// (AWS_CONFIG_FILE) section [profile name] ([default] for "default"), keys
// aws_access_key_id, aws_secret_access_key, aws_session_token. Profiles that get their keys
// another way (role_arn, sso_*, credential_process, web_identity_token_file) are reported,
// not followed.

#include <map>
#include <optional>
#include <string>

#include "dns/aws_sigv4.h"

namespace gatehouse::acme::dns::aws {

struct ProfileResult {
  std::optional<Credentials> credentials;
  std::string problem;  // why there are none ("" when the profile is simply absent)
};

// `profile` "" = AWS_PROFILE, else "default". Reads the files (small; at start-up).
ProfileResult profileCredentials(std::string profile);

// One INI section's keys from `text` (nullopt when there is no such section); for tests.
std::optional<std::map<std::string, std::string>> iniSection(const std::string& text,
                                                             const std::string& section);

}  // namespace gatehouse::acme::dns::aws
