/*
 * Static inline wrappers for the OpenSSL 3 APIs that are macros and so cannot be imported into
 * Swift. Add a wrapper here only for a macro; plain functions are imported directly.
 */
#ifndef SEHC_COPENSSL_SHIM_H
#define SEHC_COPENSSL_SHIM_H

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* BIO_get_mem_data is a macro over BIO_ctrl: the bytes held by a memory BIO. */
static inline long sehc_BIO_get_mem_data(BIO *bio, char **data) {
  return BIO_get_mem_data(bio, data);
}

/* OPENSSL_free is a macro (it passes the caller's file and line to CRYPTO_free). */
static inline void sehc_OPENSSL_free(void *pointer) {
  OPENSSL_free(pointer);
}

/* The typed stack accessors are macros over OPENSSL_sk_*. */
static inline int sehc_sk_GENERAL_NAME_num(const GENERAL_NAMES *names) {
  return sk_GENERAL_NAME_num(names);
}
static inline GENERAL_NAME *sehc_sk_GENERAL_NAME_value(const GENERAL_NAMES *names, int index) {
  return sk_GENERAL_NAME_value(names, index);
}
static inline int sehc_sk_ASN1_OBJECT_num(const EXTENDED_KEY_USAGE *usages) {
  return sk_ASN1_OBJECT_num(usages);
}
static inline ASN1_OBJECT *sehc_sk_ASN1_OBJECT_value(const EXTENDED_KEY_USAGE *usages, int index) {
  return sk_ASN1_OBJECT_value(usages, index);
}

#endif
