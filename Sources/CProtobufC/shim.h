#ifndef SEHC_CPROTOBUFC_SHIM_H
#define SEHC_CPROTOBUFC_SHIM_H
#include <protobuf-c/protobuf-c.h>
#endif
