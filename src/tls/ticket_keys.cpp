#include "tls/ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <cstring>
#include <stdexcept>

namespace gatehouse::tls {

TicketKeyRing::TicketKeyRing(std::chrono::seconds rotation, size_t keep) : rotation_(rotation), keep_(keep) {
  keys_.store(std::make_shared<const std::vector<TicketKey>>());
  rotate();
}

void TicketKeyRing::rotate() {
  std::lock_guard lock(rotateMu_);
  auto current = keys_.load();
  const auto now = std::chrono::steady_clock::now();
  if (!current->empty() && now - current->front().created < rotation_) {
    return;  // another thread rotated first
  }
  TicketKey k;
  if (RAND_bytes(k.name.data(), k.name.size()) != 1 || RAND_bytes(k.aesKey.data(), k.aesKey.size()) != 1 ||
      RAND_bytes(k.hmacKey.data(), k.hmacKey.size()) != 1) {
    throw std::runtime_error("RAND_bytes failed while making a session ticket key");
  }
  k.created = now;
  auto next = std::make_shared<std::vector<TicketKey>>();
  next->push_back(k);
  for (const auto& old : *current) {
    if (next->size() >= keep_) {
      break;
    }
    next->push_back(old);
  }
  keys_.store(std::move(next));
}

std::shared_ptr<const std::vector<TicketKey>> TicketKeyRing::keys() {
  auto current = keys_.load();
  if (current->empty() || std::chrono::steady_clock::now() - current->front().created >= rotation_) {
    rotate();
    current = keys_.load();
  }
  return current;
}

int TicketKeyRing::onTicketKey(SSL* /*ssl*/, unsigned char name[16], unsigned char iv[16],
                               EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt, TicketKeyRing& ring) {
  auto keys = ring.keys();
  auto setMac = [&](const TicketKey& k) {
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(k.hmacKey.data()),
                                          k.hmacKey.size()),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
    return EVP_MAC_CTX_set_params(mac, params) == 1;
  };
  if (encrypt == 1) {
    const TicketKey& k = keys->front();  // encrypt under the newest key; IV: one AES block
    if (RAND_bytes(iv, 16) != 1) {
      return -1;
    }
    std::memcpy(name, k.name.data(), k.name.size());
    if (EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, k.aesKey.data(), iv) != 1 || !setMac(k)) {
      return -1;
    }
    return 1;
  }
  for (size_t i = 0; i < keys->size(); ++i) {
    const TicketKey& k = (*keys)[i];
    if (std::memcmp(name, k.name.data(), k.name.size()) != 0) {
      continue;
    }
    if (!setMac(k) || EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, k.aesKey.data(), iv) != 1) {
      return -1;
    }
    return i == 0 ? 1 : 2;  // 2: valid, but ask OpenSSL to issue a ticket under the newest key
  }
  return 0;  // unknown key: full handshake
}

}  // namespace gatehouse::tls
