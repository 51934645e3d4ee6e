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

#endif
