// OpenSSL's libcrypto (Debian libssl-dev): the SHA-256 of shards and
// manifests, through the EVP digest interface.
#include <openssl/evp.h>
