#ifndef DISTILL_CBLAS_SHIM_H
#define DISTILL_CBLAS_SHIM_H
#include <cblas.h>
#endif
