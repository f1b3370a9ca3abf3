// The parts of OpenSSL 3's libcrypto that KMSCrypto uses. Only KMSCrypto imports this module.
#ifndef KMS_COPENSSL_SHIM_H
#define KMS_COPENSSL_SHIM_H

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

// No shim functions are needed yet: every call KMSCrypto makes is a real function, and the
// constants it uses (EVP_CTRL_GCM_*, RSA_*_PADDING, ERR_TXT_STRING) import as Swift constants.
// Add a `static inline` wrapper here, with a line saying why, for any macro or variadic call.

#endif
