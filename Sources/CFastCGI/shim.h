#ifndef KMS_CFASTCGI_SHIM_H
#define KMS_CFASTCGI_SHIM_H
// Only the reentrant fcgiapp API: fcgi_stdio.h redefines stdio and is not thread-safe.
#include <fcgiapp.h>
#endif
