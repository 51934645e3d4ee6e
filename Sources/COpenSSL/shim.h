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

/* MARK: TLS (Sources/TLS) */

static inline int sehc_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int version) {
  return (int)SSL_CTX_set_min_proto_version(ctx, version);
}
static inline int sehc_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int version) {
  return (int)SSL_CTX_set_max_proto_version(ctx, version);
}
static inline long sehc_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline int sehc_SSL_CTX_add1_chain_cert(SSL_CTX *ctx, X509 *cert) {
  return (int)SSL_CTX_add1_chain_cert(ctx, cert);
}
static inline int sehc_SSL_set_tlsext_host_name(SSL *ssl, const char *name) {
  return (int)SSL_set_tlsext_host_name(ssl, name);
}
static inline int sehc_SSL_get_ex_new_index(void) { return SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL); }
static inline void sehc_BIO_set_mem_eof_return(BIO *bio, int value) { (void)BIO_set_mem_eof_return(bio, value); }
static inline uint64_t sehc_SSL_OP_NO_RENEGOTIATION(void) { return SSL_OP_NO_RENEGOTIATION; }
static inline uint64_t sehc_SSL_OP_IGNORE_UNEXPECTED_EOF(void) { return SSL_OP_IGNORE_UNEXPECTED_EOF; }
static inline uint64_t sehc_SSL_OP_NO_COMPRESSION(void) { return SSL_OP_NO_COMPRESSION; }
static inline uint64_t sehc_SSL_OP_CIPHER_SERVER_PREFERENCE(void) { return SSL_OP_CIPHER_SERVER_PREFERENCE; }

#endif
