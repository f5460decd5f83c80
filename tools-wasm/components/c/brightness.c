/* brightness(image): mean luminance (0-255, Rec. 601 weights) of an image or region, as a
 * component of the dwim:tool@0.1.0 world (../../wit/tool.wit) written in C.
 *
 * The twin of the core-module plugin ../../plugins/brightness_c/brightness.c: the same signature
 * (but for its doc string), the same arithmetic in the same order, so both give the same number
 * (tests/wasm_component.rs). Freestanding C: no libc, no WASI, no imports at all; the bindings in
 * ./bindings come from `wit-bindgen c`, the few libc functions they call from ./shim.c.
 * Build: ./build.sh OUT.wasm (see README.md). */
#include "tool.h"

#include <stdlib.h>

typedef exports_dwim_tool_plugin_values_t values;
typedef exports_dwim_tool_plugin_node_t node;
typedef exports_dwim_tool_plugin_image_t image;

void exports_dwim_tool_plugin_describe(exports_dwim_tool_plugin_signature_t *ret) {
    /* One parameter, so it can live in static memory: the post-return `free` of the bindings is
     * a no-op (shim.c), and every call runs in a fresh instance anyway. */
    static exports_dwim_tool_plugin_param_t params[1];
    exports_dwim_tool_plugin_param_t *p = &params[0];
    tool_string_set(&p->name, "image");
    p->type.element = EXPORTS_DWIM_TOOL_PLUGIN_ELEMENT_TYPE_VISUAL; /* image|region */
    p->type.list_depth = 0;
    p->default_.is_some = false;
    tool_string_set(&p->doc, "");
    p->vocabulary.is_some = false;

    tool_string_set(&ret->name, "brightness");
    ret->params.ptr = params;
    ret->params.len = 1;
    ret->result.element = EXPORTS_DWIM_TOOL_PLUGIN_ELEMENT_TYPE_NUMBER;
    ret->result.list_depth = 0;
    tool_string_set(&ret->doc, "Mean luminance (0-255) of an image or region (a component written in C).");
}

/* A refusal: `tool-error` with the given code; never a trap. */
static bool fail(exports_dwim_tool_plugin_tool_error_t *err, exports_dwim_tool_plugin_error_code_t code, const char *msg) {
    err->code = code;
    tool_string_set(&err->message, msg);
    return false;
}

static bool invalid(exports_dwim_tool_plugin_tool_error_t *err, const char *msg) {
    return fail(err, EXPORTS_DWIM_TOOL_PLUGIN_ERROR_CODE_INVALID_INPUT, msg);
}

static double clampd(double v, double lo, double hi) { return v < lo ? lo : v > hi ? hi : v; }

bool exports_dwim_tool_plugin_call(values *args, values *ret, exports_dwim_tool_plugin_tool_error_t *err) {
    if (args->roots.len != 1) return invalid(err, "expected one argument");
    uint32_t root = args->roots.ptr[0];
    if (root >= args->nodes.len) return invalid(err, "bad node index");
    const node *n = &args->nodes.ptr[root];
    if (n->tag != EXPORTS_DWIM_TOOL_PLUGIN_NODE_IMAGE && n->tag != EXPORTS_DWIM_TOOL_PLUGIN_NODE_REGION)
        return invalid(err, "expected an image or a region");
    uint32_t idx = n->tag == EXPORTS_DWIM_TOOL_PLUGIN_NODE_IMAGE ? n->val.image : n->val.region.image;
    if (idx >= args->images.len) return invalid(err, "bad image index");
    const image *im = &args->images.ptr[idx];
    if ((uint64_t)im->width * im->height * 3 != im->pixels.len) return invalid(err, "truncated image");

    /* As the core twin: clamp the box to the image, then truncate each edge to a whole pixel. */
    double x0 = 0, y0 = 0, x1 = im->width, y1 = im->height;
    if (n->tag == EXPORTS_DWIM_TOOL_PLUGIN_NODE_REGION) {
        const exports_dwim_tool_plugin_bbox_t *b = &n->val.region.bbox;
        x0 = clampd(b->x0, 0, im->width); y0 = clampd(b->y0, 0, im->height);
        x1 = clampd(b->x1, 0, im->width); y1 = clampd(b->y1, 0, im->height);
    }
    double sum = 0;
    uint64_t count = 0;
    for (uint32_t y = (uint32_t)y0; y < (uint32_t)y1; y++)
        for (uint32_t x = (uint32_t)x0; x < (uint32_t)x1; x++) {
            const uint8_t *p = im->pixels.ptr + ((uint64_t)y * im->width + x) * 3;
            sum += 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
            count++;
        }
    if (!count) return invalid(err, "the region is empty");
    double mean = sum / count;
    mean = (double)(long long)(mean * 100 + 0.5) / 100; /* two decimals */

    /* One number node, its root; no new images. */
    node *out = malloc(sizeof *out);
    uint32_t *roots = malloc(sizeof *roots);
    if (!out || !roots) return fail(err, EXPORTS_DWIM_TOOL_PLUGIN_ERROR_CODE_FAILED, "out of memory");
    out->tag = EXPORTS_DWIM_TOOL_PLUGIN_NODE_NUMBER;
    out->val.number = mean;
    roots[0] = 0;
    ret->images.ptr = 0;
    ret->images.len = 0;
    ret->nodes.ptr = out;
    ret->nodes.len = 1;
    ret->roots.ptr = roots;
    ret->roots.len = 1;
    return true;
}
