// Sprig's password functions: bcrypt and htpasswd (libcrypt, $2a$ at Go's DefaultCost 10)
// and derivePassword (the Master Password algorithm: scrypt then HMAC-SHA256, OpenSSL).

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdint>
#include <map>
#include <vector>

#include "handlers/bcrypt.h"
#include "templates/sprig.h"

namespace gatehouse::templates {

namespace {

constexpr int kGoBcryptDefaultCost = 10;

// Sprig returns failures as the text, not as an error.
std::string bcryptText(const std::string& password) {
  try {
    return handlers::bcryptHash(password, kGoBcryptDefaultCost);
  } catch (const std::exception& e) {
    return std::string("failed to encrypt string with bcrypt: ") + e.what();
  }
}

void appendBigEndian32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += static_cast<char>((v >> shift) & 0xff);
  }
}

// Master Password's templates per password type, and the characters of each template letter.
const std::vector<std::string>* passwordTemplates(const std::string& type) {
  static const std::map<std::string, std::vector<std::string>> kTemplates = {
      {"maximum", {"anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"}},
      {"long", {"CvcvnoCvcvCvcv", "CvcvCvcvnoCvcv", "CvcvCvcvCvcvno", "CvccnoCvcvCvcv", "CvccCvcvnoCvcv",
                "CvccCvcvCvcvno", "CvcvnoCvccCvcv", "CvcvCvccnoCvcv", "CvcvCvccCvcvno", "CvcvnoCvcvCvcc",
                "CvcvCvcvnoCvcc", "CvcvCvcvCvccno", "CvccnoCvccCvcv", "CvccCvccnoCvcv", "CvccCvccCvcvno",
                "CvcvnoCvccCvcc", "CvcvCvccnoCvcc", "CvcvCvccCvccno", "CvccnoCvcvCvcc", "CvccCvcvnoCvcc",
                "CvccCvcvCvccno"}},
      {"medium", {"CvcnoCvc", "CvcCvcno"}},
      {"short", {"Cvcn"}},
      {"basic", {"aaanaaan", "aannaaan", "aaannaaa"}},
      {"pin", {"nnnn"}},
  };
  auto it = kTemplates.find(type);
  return it == kTemplates.end() ? nullptr : &it->second;
}

const std::string& templateCharacters(char c) {
  static const std::map<char, std::string> kChars = {
      {'V', "AEIOU"},
      {'C', "BCDFGHJKLMNPQRSTVWXYZ"},
      {'v', "aeiou"},
      {'c', "bcdfghjklmnpqrstvwxyz"},
      {'A', "AEIOUBCDFGHJKLMNPQRSTVWXYZ"},
      {'a', "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz"},
      {'n', "0123456789"},
      {'o', "@&%?,=[]_:-+*$#!'^~;()/."},
      {'x', "AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()"},
  };
  return kChars.at(c);
}

std::string derivePassword(uint32_t counter, const std::string& type, const std::string& password,
                           const std::string& user, const std::string& site) {
  const auto* templates = passwordTemplates(type);
  if (templates == nullptr) {
    return "cannot find password template " + type;
  }
  static const std::string kSeed = "com.lyndir.masterpassword";
  std::string salt = kSeed;
  appendBigEndian32(salt, static_cast<uint32_t>(user.size()));
  salt += user;
  std::array<unsigned char, 64> key{};
  // N=32768, r=8 needs 32 MiB, just over OpenSSL's default limit.
  constexpr uint64_t kMaxMem = 64ULL * 1024 * 1024;
  if (EVP_PBE_scrypt(password.data(), password.size(), reinterpret_cast<const unsigned char*>(salt.data()),
                     salt.size(), 32768, 8, 2, kMaxMem, key.data(), key.size()) != 1) {
    return "failed to derive password: scrypt failed";
  }
  std::string message = kSeed;
  appendBigEndian32(message, static_cast<uint32_t>(site.size()));
  message += site;
  appendBigEndian32(message, counter);
  std::array<unsigned char, EVP_MAX_MD_SIZE> seed{};
  unsigned int seedLen = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), seed.data(), &seedLen);
  const std::string& tmpl = (*templates)[seed[0] % templates->size()];
  std::string out;
  for (size_t i = 0; i < tmpl.size(); ++i) {
    const std::string& chars = templateCharacters(tmpl[i]);
    out += chars[seed[i + 1] % chars.size()];
  }
  return out;
}

}  // namespace

void addSprigPasswords(FuncMap& f) {
  f["bcrypt"] = [](Args& a) {
    wantArgs(a, 1, "bcrypt");
    return Value(bcryptText(strval(a[0])));
  };
  f["htpasswd"] = [](Args& a) {
    wantArgs(a, 2, "htpasswd");
    const std::string user = strval(a[0]);
    if (user.find(':') != std::string::npos) {
      return Value("invalid username: " + user);
    }
    return Value(user + ":" + bcryptText(strval(a[1])));
  };
  f["derivePassword"] = [](Args& a) {
    wantArgs(a, 5, "derivePassword");
    const int64_t counter = toInt64(a[0]);
    if (!a[0].isInt() || counter < 0 || counter > UINT32_MAX) {
      throw TemplateError("wrong type for value; expected uint32; got " + kindName(a[0]));
    }
    return Value(derivePassword(static_cast<uint32_t>(counter), strval(a[1]), strval(a[2]), strval(a[3]),
                                strval(a[4])));
  };
}

}  // namespace gatehouse::templates
