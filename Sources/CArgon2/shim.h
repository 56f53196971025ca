#ifndef CONCLAVE_CARGON2_SHIM_H
#define CONCLAVE_CARGON2_SHIM_H
#include <argon2.h>
#endif
