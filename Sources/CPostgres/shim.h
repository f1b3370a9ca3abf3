#ifndef KMS_CPOSTGRES_SHIM_H
#define KMS_CPOSTGRES_SHIM_H
// libpq's client API; PQ* functions are plain C and need no wrappers.
#include <postgresql/libpq-fe.h>
#endif
