/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for `homesetup doctor`'s rule matcher on random journal text: the input is read as journal
 * export format (hs_journal_export_parse, binary fields included) and every entry's MESSAGE is matched against
 * the rule table; the whole input is also matched as one message, and its first line is parsed as a --since
 * time. Besides the sanitizers, the results are checked: a row index names a rule with a pattern, and every
 * capture is a plain name (nothing from the input that could reach a shell command unquoted).
 *
 * The same input is then diagnosed whole (hs_doctor_run_export_buf, no bus, ROOT an empty directory): the
 * attribution of entries to homes (state changes, worker PIDs, device-mapper names), the held password failures
 * and their discount by a later activation, for every home and for one USER. Checked: a finding's user is a
 * plain name, and with a USER asked about every finding is that user's or about homed as a whole.
 */
#include "homesetupP.h"

#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static hs_doctor_matcher *matcher;
static char root[] = "/tmp/hs-fuzz-doctor-XXXXXX";

static void remove_root(void)
{
	(void)rmdir(root);
}

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
	if (hs_doctor_matcher_new(NULL, &matcher) < 0 || !mkdtemp(root))
		__builtin_trap();
	atexit(remove_root);
	return 0;
}

/* The whole diagnosis of the input as a journal, for every home and for the user "alice". */
static void diagnose(hs_ctx *ctx, const char *buf, size_t size)
{
	static const char *const users[] = { NULL, "alice" };

	for (size_t u = 0; u < 2; u++) {
		hs_doctor_options o = { .no_bus = true, .user = users[u], .since_usec = 1 };
		hs_doctor *d = NULL;

		if (hs_doctor_run_export_buf(ctx, &d, &o, buf, size) < 0)
			continue;
		for (size_t i = 0; i < hs_doctor_finding_count(d); i++) {
			const hs_finding *f = hs_doctor_finding(d, i);

			if (!f || !f->rule || !f->fix || !f->summary || f->count == 0)
				__builtin_trap();
			if (f->user && !hs_doctor_name_ok(f->user, strlen(f->user)))
				__builtin_trap();
			if (users[u] && f->user && strcmp(f->user, users[u]) != 0)
				__builtin_trap();
			/* unattributed evidence reaches a USER only for findings about homed as a whole */
			for (size_t k = 0; users[u] && !f->user && k < hs_doctor_rule_count(); k++)
				if (strcmp(hs_doctor_row_rule(k), f->rule) == 0 && hs_doctor_row_per_home(k))
					__builtin_trap();
		}
		hs_doctor_free(d);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	hs_doctor_caps caps;
	hs_ctx *ctx = NULL;
	int row;

	if (hs_ctx_new(&ctx) < 0)
		return 0;
	if (hs_ctx_set_root(ctx, root) < 0) {
		hs_ctx_free(ctx);
		return 0;
	}
	(void)hs_journal_export_parse(ctx, buf, size, on_entry, NULL);
	diagnose(ctx, buf, size);
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
