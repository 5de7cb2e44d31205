/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private header of libhomesetup: shared by every module of the library, never installed.
 * Everything declared here has hidden visibility; only homesetup.h's declarations are exported.
 */
#ifndef HOMESETUP_P_H
#define HOMESETUP_P_H

#pragma GCC visibility push(default)
#include "homesetup.h"
#pragma GCC visibility pop

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- systemd-style scoped cleanup -------------------------------------------------------------- */
#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define _likely_(x) __builtin_expect(!!(x), 1)
#define _unlikely_(x) __builtin_expect(!!(x), 0)

static inline void freep(void *p) { free(*(void **)p); }
#define _cleanup_free_ _cleanup_(freep)

/* Hand ownership on: returns the pointer and leaves NULL behind so the cleanup does nothing. */
#define TAKE_PTR(p) ({ __typeof__(p) _take_ = (p); (p) = NULL; _take_; })

#define DEFINE_CLEANUP_FUNC(type, func)                     \
	static inline void func##p(type **p) { func(*p); } \
	struct hs__dummy_##func

DEFINE_CLEANUP_FUNC(hs_ctx, hs_ctx_free);
DEFINE_CLEANUP_FUNC(hs_version, hs_version_free);
DEFINE_CLEANUP_FUNC(hs_useset, hs_useset_free);
DEFINE_CLEANUP_FUNC(hs_iuse, hs_iuse_free);
DEFINE_CLEANUP_FUNC(hs_atom, hs_atom_free);
DEFINE_CLEANUP_FUNC(hs_requse, hs_requse_free);
DEFINE_CLEANUP_FUNC(hs_requse_solution, hs_requse_solution_free);
DEFINE_CLEANUP_FUNC(char *, hs_strv_free);

#define ELEMENTSOF(a) (sizeof(a) / sizeof((a)[0]))

/* ---- ctx ------------------------------------------------------------------------------------------ */
/* Record an error (printf-style message) in ctx (may be NULL) and return err (a negative errno). */
int hs_ctx_set_error(hs_ctx *ctx, int err, const char *fmt, ...) _printf_(3, 4);
/* Collect a warning. Returns 0 or -ENOMEM. */
int hs_ctx_add_warning(hs_ctx *ctx, const char *fmt, ...) _printf_(2, 3);

/* ---- buf: a growable byte buffer, always NUL-terminated when non-empty -------------------------- */
typedef struct hs_buf {
	char *p;
	size_t len, cap;
} hs_buf;

int hs_buf_reserve(hs_buf *b, size_t extra);
int hs_buf_append(hs_buf *b, const char *s, size_t len);
int hs_buf_puts(hs_buf *b, const char *s);
int hs_buf_putc(hs_buf *b, char c);
int hs_buf_printf(hs_buf *b, const char *fmt, ...) _printf_(2, 3);
/* Hand the buffer's string over (an empty buffer yields ""), leaving b empty. NULL on ENOMEM. */
char *hs_buf_steal(hs_buf *b);
void hs_buf_free(hs_buf *b);
static inline void hs_buf_freep(hs_buf *b) { hs_buf_free(b); }
#define _cleanup_buf_ _cleanup_(hs_buf_freep)

/* ---- strv: NULL-terminated string vectors --------------------------------------------------------- */
size_t hs_strv_length(char *const *v);
/* Append a copy of s[0..len) to *v (which may be NULL). Returns 0 or -ENOMEM. */
int hs_strv_push(char ***v, const char *s, size_t len);

/* memdup + NUL. */
char *hs_strndup(const char *s, size_t len);

/* Quote a token for an error message: returns a pointer to a static-free, caller-freed string with
 * non-printable bytes escaped (\xNN) and at most max bytes of the input. NULL on ENOMEM. */
char *hs_escape(const char *s, size_t len, size_t max);

#endif /* HOMESETUP_P_H */
