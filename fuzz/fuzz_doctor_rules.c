/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for `homesetup doctor`'s rule matcher on random journal text: the input is read as journal
 * export format (hs_journal_export_parse, binary fields included) and every entry's MESSAGE is matched against
 * the rule table; the whole input is also matched as one message, and its first line is parsed as a --since
 * time. Besides the sanitizers, the results are checked: a row index names a rule with a pattern, and every
 * capture is a plain name (nothing from the input that could reach a shell command unquoted).
 */
#include "homesetupP.h"

#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static hs_doctor_matcher *matcher;

static void check_caps(int row, const hs_doctor_caps *c)
{
	const char *pat;

	if (row < 0)
		return;
	if (!hs_doctor_rule_get((size_t)row, NULL, &pat) || !pat)
		__builtin_trap();
	if (c->user[0] && !hs_doctor_name_ok(c->user, strlen(c->user)))
		__builtin_trap();
	for (const char *p = c->dm; *p; p++)
		if (!(*p == '_' || *p == '.' || *p == '+' || *p == '@' || *p == '-' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			__builtin_trap();
	for (const char *p = c->fs; *p; p++)
		if (!(*p == '_' || *p == '.' || *p == '-' || (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z')))
			__builtin_trap();
}

static int on_entry(const hs_jentry *e, void *userdata)
{
	hs_doctor_caps caps;
	int row;

	(void)userdata;
	if (e->msg_len && !e->msg)
		__builtin_trap();
	row = hs_doctor_match(matcher, e->msg, e->msg_len, &caps);
	check_caps(row, &caps);
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (hs_doctor_matcher_new(NULL, &matcher) < 0)
		__builtin_trap();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	hs_doctor_caps caps;
	hs_ctx *ctx = NULL;
	int row;

	if (hs_ctx_new(&ctx) < 0)
		return 0;
	(void)hs_journal_export_parse(ctx, buf, size, on_entry, NULL);
	row = hs_doctor_match(matcher, buf, size, &caps);
	check_caps(row, &caps);
	{
		const char *nl = memchr(buf, '\n', size);
		size_t len = nl ? (size_t)(nl - buf) : size;
		char *line = hs_strndup(buf, len > 64 ? 64 : len);
		uint64_t t;

		if (line && !memchr(buf, 0, len > 64 ? 64 : len))
			(void)hs_doctor_parse_time(ctx, line, 1714564800000000ULL, &t);
		free(line);
	}
	hs_ctx_free(ctx);
	return 0;
}
