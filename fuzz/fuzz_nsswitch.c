/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libFuzzer target for the nsswitch.conf parser (hs_nsswitch_parse) and the judgement of a line (hs_nss_judge).
 * Invariants, trapped when broken: the result is 0 (or -ENOMEM); no more lines than the input has, in increasing
 * line order; a database name is non-empty without blanks or ':'; a service name is non-empty without blanks or
 * '[', its column inside the line; criteria are "[…]" and sit after their service; a comment starts with '#';
 * the verdict agrees with the services (REACHED ⇒ systemd found and nothing blocking before it; no systemd ⇒
 * MISSING, TYPO or INVALID); and each line's text parsed again on its own gives the same services and actions.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "homesetupP.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool has_blank(const char *s)
{
	return strpbrk(s, " \t\n\v\f\r") != NULL;
}

static void check_line(const hs_nss_line *l)
{
	size_t tl = strlen(l->text);
	hs_nss_verdict v;

	if (!*l->db || has_blank(l->db) || strchr(l->db, ':') || strchr(l->text, '\n'))
		__builtin_trap();
	if (l->comment && (l->comment[0] != '#' || l->comment_column == 0 || l->comment_column > tl))
		__builtin_trap();
	for (size_t i = 0; i < l->n; i++) {
		const hs_nss_service *s = &l->v[i];

		if (!*s->name || has_blank(s->name) || strchr(s->name, '[') || strlen(s->name) != s->len ||
		    s->column == 0 || s->column - 1 + s->len > tl || memcmp(l->text + s->column - 1, s->name, s->len))
			__builtin_trap();
		for (int k = 0; k < 4; k++)
			if (s->action[k] > HS_NSS_MERGE)
				__builtin_trap();
		if (s->criteria && (s->criteria[0] != '[' || s->criteria[s->criteria_len - 1] != ']' ||
				    strlen(s->criteria) != s->criteria_len || s->criteria_column <= s->column ||
				    memcmp(l->text + s->criteria_column - 1, s->criteria, s->criteria_len)))
			__builtin_trap();
	}
	hs_nss_judge(l, &v);
	if (v.line != l)
		__builtin_trap();
	if (v.state == HS_NSS_REACHED && (!v.systemd || v.blocker || l->error))
		__builtin_trap();
	if (!v.systemd && v.state != HS_NSS_MISSING && v.state != HS_NSS_TYPO && v.state != HS_NSS_INVALID)
		__builtin_trap();
	if (v.state == HS_NSS_TYPO && (!v.typo || !hs_nss_is_typo(v.typo->name)))
		__builtin_trap();
	if (v.before_files && !v.systemd)
		__builtin_trap();

	/* the line alone parses to the same thing */
	{
		hs_nsswitch again;
		int r = hs_nsswitch_parse(NULL, l->text, tl, &again);

		if (r == -ENOMEM)
			return;
		if (r != 0 || again.n != 1 || again.v[0].n != l->n || !again.v[0].error != !l->error)
			__builtin_trap();
		for (size_t i = 0; i < l->n; i++)
			if (strcmp(again.v[0].v[i].name, l->v[i].name) != 0 ||
			    memcmp(again.v[0].v[i].action, l->v[i].action, 4) != 0)
				__builtin_trap();
		hs_nsswitch_free(&again);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dbs[] = { "passwd", "group", "shadow", "gshadow", "hosts" };
	hs_nsswitch nss;
	size_t lines = 1;
	unsigned last = 0;
	char *copy;
	int r;

	copy = malloc(size ? size : 1); /* exact size: ASan catches a read past len */
	if (!copy)
		return 0;
	if (size)
		memcpy(copy, data, size);
	for (size_t i = 0; i < size; i++)
		lines += copy[i] == '\n';
	r = hs_nsswitch_parse(NULL, copy, size, &nss);
	if (r == -ENOMEM)
		goto out;
	if (r != 0 || nss.n > lines)
		__builtin_trap();
	for (size_t i = 0; i < nss.n; i++) {
		if (nss.v[i].line <= last || nss.v[i].line > lines)
			__builtin_trap();
		last = nss.v[i].line;
		check_line(&nss.v[i]);
	}
	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++) {
		const hs_nss_line *l = hs_nsswitch_find(&nss, dbs[i]);

		if (l && strcmp(l->db, dbs[i]) != 0)
			__builtin_trap();
	}
	hs_nsswitch_free(&nss);
out:
	free(copy);
	return 0;
}
