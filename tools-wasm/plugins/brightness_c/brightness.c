/* brightness(image): mean luminance (0-255, Rec. 601 weights) of an image or region.
 * A dwim plugin in freestanding C: no libc, no imports except dwim.trap; see docs/plugins.md.
 * Build: clang --target=wasm32 -O2 -nostdlib -c brightness.c && wasm-ld --no-entry brightness.o */

typedef unsigned char u8;
typedef unsigned int u32;
typedef unsigned long long u64;

extern u8 __heap_base;
static u32 heap_top;

__attribute__((import_module("dwim"), import_name("trap"))) void dwim_trap(const char *msg, u32 len);

static void *bump(u32 n) {
    if (!heap_top) heap_top = (u32)&__heap_base;
    u32 p = (heap_top + 7) & ~7u;
    u32 end = p + n;
    u32 have = __builtin_wasm_memory_size(0) * 65536u;
    if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (unsigned long)-1) return 0;
    heap_top = end;
    return (void *)p;
}

__attribute__((export_name("dwim_alloc"))) u32 dwim_alloc(u32 n) { return (u32)bump(n ? n : 1); }

static u64 packed(const void *p, u32 len) { return ((u64)(u32)p << 32) | len; }

static const char SIG[] =
    "{\"name\":\"brightness\",\"params\":[{\"name\":\"image\",\"type\":\"image|region\"}],"
    "\"result\":\"number\",\"doc\":\"Mean luminance (0-255) of an image or region (a plugin written in C).\"}";

__attribute__((export_name("dwim_describe"))) u64 dwim_describe(void) { return packed(SIG, sizeof SIG - 1); }

/* --- reading the input --- */
typedef struct { const u8 *p, *end; int bad; } rd;
static u32 rd_u32(rd *r) {
    if (r->end - r->p < 4) { r->bad = 1; return 0; }
    u32 v = r->p[0] | r->p[1] << 8 | r->p[2] << 16 | (u32)r->p[3] << 24;
    r->p += 4;
    return v;
}
static double rd_f64(rd *r) {
    union { u64 u; double d; } v = {0};
    for (int i = 0; i < 8; i++) v.u |= (u64)(r->p < r->end ? *r->p++ : (r->bad = 1, 0)) << (8 * i);
    return v.d;
}

typedef struct { u32 w, h; const u8 *px; } image;

static u64 fail(const char *msg) {
    u32 n = 0;
    while (msg[n]) n++;
    u8 *out = bump(5 + n);
    if (!out) dwim_trap(msg, n);
    out[0] = 1;
    out[1] = n; out[2] = n >> 8; out[3] = n >> 16; out[4] = n >> 24;
    for (u32 i = 0; i < n; i++) out[5 + i] = msg[i];
    return packed(out, 5 + n);
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

__attribute__((export_name("dwim_call"))) u64 dwim_call(const u8 *in, u32 len) {
    rd r = {in, in + len, 0};
    image imgs[8];
    u32 n = rd_u32(&r);
    if (n > 8) return fail("too many images");
    for (u32 i = 0; i < n; i++) {
        imgs[i].w = rd_u32(&r);
        imgs[i].h = rd_u32(&r);
        imgs[i].px = r.p;
        u64 sz = (u64)imgs[i].w * imgs[i].h * 3;
        if (r.bad || sz > (u64)(r.end - r.p)) return fail("truncated image");
        r.p += sz;
    }
    if (rd_u32(&r) != 1 || r.bad || r.p >= r.end) return fail("expected one argument");
    u8 tag = *r.p++;
    if (tag != 4 && tag != 5) return fail("expected an image or a region");
    u32 idx = rd_u32(&r);
    if (r.bad || idx >= n) return fail("bad image index");
    image im = imgs[idx];
    double x0 = 0, y0 = 0, x1 = im.w, y1 = im.h;
    if (tag == 5) {
        x0 = clampd(rd_f64(&r), 0, im.w); y0 = clampd(rd_f64(&r), 0, im.h);
        x1 = clampd(rd_f64(&r), 0, im.w); y1 = clampd(rd_f64(&r), 0, im.h);
    }
    double sum = 0;
    u64 count = 0;
    for (u32 y = (u32)y0; y < (u32)y1; y++)
        for (u32 x = (u32)x0; x < (u32)x1; x++) {
            const u8 *p = im.px + ((u64)y * im.w + x) * 3;
            sum += 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
            count++;
        }
    if (!count) return fail("the region is empty");
    double mean = sum / count;
    mean = (double)(long long)(mean * 100 + 0.5) / 100; /* two decimals */
    u8 *out = bump(1 + 4 + 1 + 8);
    if (!out) dwim_trap("out of memory", 13);
    out[0] = 0;
    out[1] = out[2] = out[3] = out[4] = 0; /* no new images */
    out[5] = 2;
    union { double d; u64 u; } v = {mean};
    for (int i = 0; i < 8; i++) out[6 + i] = v.u >> (8 * i);
    return packed(out, 14);
}
