/* util.c - status names, trap messages, the default allocator, diagnostics.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "alloc.h"
#include "mantle.h"
#include "vm/vm.h"

static void *default_realloc(void *ud, void *ptr, size_t size)
{
    (void)ud;
    if (size == 0) {
        free(ptr);
        return NULL;
    }
    return realloc(ptr, size);
}

const mantle_allocator mt_default_allocator = {default_realloc, NULL};

const char *mantle_strerror(int status)
{
    switch (status) {
    case MANTLE_OK: return "ok";
    case MANTLE_ENOMEM: return "out of memory";
    case MANTLE_EINVAL: return "invalid argument";
    case MANTLE_EMALFORMED: return "malformed module";
    case MANTLE_EINVALID: return "invalid module";
    case MANTLE_EUNLINKABLE: return "unlinkable module";
    case MANTLE_ETRAP: return "trap";
    case MANTLE_ENOTFOUND: return "not found";
    case MANTLE_ETYPE: return "type mismatch";
    case MANTLE_EBOUNDS: return "out of bounds";
    case MANTLE_EEXIT: return "guest exited";
    case MANTLE_EIO: return "I/O error";
    case MANTLE_ELIMIT: return "limit exceeded";
    case MANTLE_ENOTEE: return "TEE unavailable";
    case MANTLE_EAUTH: return "authentication failed";
    case MANTLE_EREFUSED: return "refused";
    default: return "unknown status";
    }
}

const char *mantle_trap_message(mantle_trap_kind kind)
{
    switch (kind) {
    case MANTLE_TRAP_NONE: return "no trap";
    case MANTLE_TRAP_UNREACHABLE: return "unreachable";
    case MANTLE_TRAP_OUT_OF_BOUNDS: return "out of bounds memory access";
    case MANTLE_TRAP_TABLE_BOUNDS: return "out of bounds table access";
    case MANTLE_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case MANTLE_TRAP_INT_OVERFLOW: return "integer overflow";
    case MANTLE_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case MANTLE_TRAP_INDIRECT_NULL: return "uninitialized element";
    case MANTLE_TRAP_INDIRECT_TYPE: return "indirect call type mismatch";
    case MANTLE_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
    case MANTLE_TRAP_OUT_OF_FUEL: return "out of fuel";
    case MANTLE_TRAP_INTERRUPTED: return "interrupted";
    case MANTLE_TRAP_HOST: return "host function failed";
    default: return "unknown trap";
    }
}

const char *mantle_valkind_name(mantle_valkind kind)
{
    switch (kind) {
    case MANTLE_I32: return "i32";
    case MANTLE_I64: return "i64";
    case MANTLE_F32: return "f32";
    case MANTLE_F64: return "f64";
    case MANTLE_V128: return "v128";
    case MANTLE_FUNCREF: return "funcref";
    case MANTLE_EXTERNREF: return "externref";
    default: return "?";
    }
}

void vm_diag_set(mantle_diag *diag, int status, const char *fmt, ...)
{
    if (!diag)
        return;
    diag->status = status;
    diag->trap = MANTLE_TRAP_NONE;
    diag->func_index = UINT32_MAX;
    diag->offset = UINT32_MAX;
    diag->nframes = 0;
    diag->frames_omitted = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(diag->message, sizeof diag->message, fmt, ap);
    va_end(ap);
}

size_t mantle_diag_backtrace(const mantle_diag *diag,
                             const mantle_module *module, char *buf,
                             size_t size)
{
    size_t len = 0;
    if (size)
        buf[0] = '\0';
    if (!diag)
        return 0;
    for (uint32_t i = 0; i < diag->nframes; i++) {
        const mantle_frame *f = &diag->frames[i];
        const char *name = module ? mantle_module_func_name(module, f->func_index)
                                  : NULL;
        char tmp[320];
        int n;
        char at[32] = "";  /* UINT32_MAX: no offset (native code) */
        if (f->offset != UINT32_MAX)
            snprintf(at, sizeof at, " at offset 0x%x", f->offset);
        if (name)
            n = snprintf(tmp, sizeof tmp, "  #%u %s (func %u)%s\n", i, name,
                         f->func_index, at);
        else
            n = snprintf(tmp, sizeof tmp, "  #%u func %u%s\n", i,
                         f->func_index, at);
        if (n < 0)
            continue;
        if (len + (size_t)n < size)
            memcpy(buf + len, tmp, (size_t)n + 1);
        len += (size_t)n;
    }
    if (diag->frames_omitted) {
        char tmp[64];
        int n = snprintf(tmp, sizeof tmp, "  ... %u more frames\n",
                         diag->frames_omitted);
        if (n > 0 && len + (size_t)n < size)
            memcpy(buf + len, tmp, (size_t)n + 1);
        if (n > 0)
            len += (size_t)n;
    }
    return len;
}
