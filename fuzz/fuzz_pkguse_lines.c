/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the line-based config reader behind package.use, use.mask, parent … (through
 * hs_conflines_parse_buf, the buffer-level half of hs_conflines_read). Checks what every consumer relies on:
 * tokens are non-empty valid UTF-8 without whitespace, never start with '#', and line numbers increase.
 */
#include "homesetupP.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_token(const char *t)
{
	size_t len = strlen(t);

	if (len == 0 || t[0] == '#')
		__builtin_trap();
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		int k = hs_utf8_next(t + i, len - i, &cp);

		if (k < 0 || cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0xa0 || cp == 0x3000)
			__builtin_trap();
		i += (size_t)k;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hs_conflines l = { 0 };
	unsigned last = 0;

	if (hs_conflines_parse_buf(NULL, "/etc/portage/package.use/fuzz", (const char *)data, size, &l) == 0) {
		for (size_t i = 0; i < l.n; i++) {
			if (l.v[i].line <= last || !l.v[i].tokens || !l.v[i].tokens[0] || !l.v[i].path)
				__builtin_trap();
			last = l.v[i].line;
			for (char **t = l.v[i].tokens; *t; t++)
				check_token(*t);
		}
	}
	hs_conflines_free(&l);
	return 0;
}
