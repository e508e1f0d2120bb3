#ifndef DISTILL_CZMQ_SHIM_H
#define DISTILL_CZMQ_SHIM_H
#include <zmq.h>
#endif
