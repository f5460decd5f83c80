/* A tiny libc for a freestanding C component: a bump allocator and the memory/string functions
 * that the wit-bindgen bindings (and clang's lowering of struct copies) call. Each dwim call runs
 * in a fresh instance, so memory is never reused: `free` does nothing and the whole heap goes
 * away with the instance. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern unsigned char __heap_base; /* set by the linker: the end of the stack and static data */
static uintptr_t heap_top;

/* Each block is preceded by its size, so that `realloc` knows how much to copy. The header is 8
 * bytes so that blocks stay 8-aligned: enough for every canonical-ABI type of the dwim world. */
#define HEADER 8u

/* Move the top of the heap to `end`, growing the memory when needed; 0 if it cannot grow. */
static int reserve(uintptr_t end) {
    uintptr_t have = (uintptr_t)__builtin_wasm_memory_size(0) * 65536u;
    if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535u) / 65536u) == (size_t)-1) return 0;
    heap_top = end;
    return 1;
}

void *malloc(size_t n) {
    if (!heap_top) heap_top = (uintptr_t)&__heap_base;
    uintptr_t start = (heap_top + 7u) & ~(uintptr_t)7u;
    uintptr_t p = start + HEADER;
    if (n > UINTPTR_MAX - p || !reserve(p + n)) return 0;
    *(size_t *)start = n;
    return (void *)p;
}

void *realloc(void *old, size_t n) {
    if (!old) return malloc(n);
    size_t *size = (size_t *)((uintptr_t)old - HEADER);
    if (n <= *size) return old;
    if ((uintptr_t)old + *size == heap_top) { /* the last block grows in place */
        if (n > UINTPTR_MAX - (uintptr_t)old || !reserve((uintptr_t)old + n)) return 0;
        *size = n;
        return old;
    }
    void *p = malloc(n);
    if (p) memcpy(p, old, *size);
    return p;
}

void free(void *p) { (void)p; }

_Noreturn void abort(void) { __builtin_trap(); }

void *memcpy(void *restrict dst, const void *restrict src, size_t n) {
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--) *d++ = *s++;
    return dst;
}

void *memset(void *dst, int c, size_t n) {
    unsigned char *d = dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}

size_t strlen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}
