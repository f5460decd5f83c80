/* The few <stdlib.h> functions the wit-bindgen C bindings call, for a freestanding build (no libc,
 * no WASI): implemented in ../shim.c. */
#ifndef DWIM_SHIM_STDLIB_H
#define DWIM_SHIM_STDLIB_H
#include <stddef.h>
void *malloc(size_t n);
void *realloc(void *p, size_t n);
void free(void *p);
_Noreturn void abort(void);
#endif
