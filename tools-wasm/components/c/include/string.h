/* The few <string.h> functions the wit-bindgen C bindings (and clang's lowering of struct copies)
 * call, for a freestanding build: implemented in ../shim.c. */
#ifndef DWIM_SHIM_STRING_H
#define DWIM_SHIM_STRING_H
#include <stddef.h>
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memset(void *dst, int c, size_t n);
size_t strlen(const char *s);
#endif
