/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rule table of `homesetup doctor` (doctor-rules.h) and its matcher: every pattern compiled once with PCRE2
 * (loaded on first use, dl.c; JIT where the library has it), matched in byte mode (journal messages may be
 * binary), with match and depth limits so that no message can make a pattern run away. Captured user,
 * device-mapper and file system names are kept only when they are plain names.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "homesetupP.h"
#include "doctor-rules.h"

#define MSG_MAX (64u * 1024) /* longest message matched */

/* ---- names ------------------------------------------------------------------------------------------------ */

static bool name_ok(const char *s, size_t len, size_t max, const char *extra)
{
	if (len == 0 || len >= max)
		return false;
	if (!(s[0] == '_' || (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	      (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 1; i < len; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
		      (c && strchr(extra, c))))
			return false;
	}
	return true;
}

bool hs_doctor_name_ok(const char *s, size_t len)
{
	return name_ok(s, len, 257, ".@-");
}

/* ---- rule table ----------------------------------------------------------------------------------------- */

size_t hs_doctor_rule_count(void)
{
	return ELEMENTSOF(hs_doctor_rules);
}

bool hs_doctor_rule_get(size_t i, const char **id, const char **pattern)
{
	if (i >= ELEMENTSOF(hs_doctor_rules))
		return false;
	if (id)
		*id = hs_doctor_rules[i].id;
	if (pattern)
		*pattern = hs_doctor_rules[i].pattern;
	return true;
}

const char *hs_doctor_row_rule(size_t i)
{
	return i < ELEMENTSOF(hs_doctor_rules) ? hs_doctor_rules[i].id : NULL;
}

const hs_doctor_rule *hs_doctor_row(size_t i)
{
	return i < ELEMENTSOF(hs_doctor_rules) ? &hs_doctor_rules[i] : NULL;
}

const char *hs_doctor_state_rule(const char *state)
{
	for (size_t i = 0; i < ELEMENTSOF(hs_doctor_state_rules); i++)
		if (strcmp(hs_doctor_state_rules[i].state, state) == 0)
			return hs_doctor_state_rules[i].rule;
	return NULL;
}

uint64_t hs_doctor_retry_window(const char *rule)
{
	for (size_t i = 0; rule && i < ELEMENTSOF(hs_doctor_retry_rules); i++)
		if (strcmp(hs_doctor_retry_rules[i].rule, rule) == 0)
			return hs_doctor_retry_rules[i].window_usec;
	return 0;
}

uint64_t hs_doctor_min_free(void)
{
	return HS_DOCTOR_MIN_FREE;
}

bool hs_doctor_row_per_home(size_t i)
{
	const hs_doctor_rule *r = hs_doctor_row(i);

	return r && (strstr(r->diagnosis, "{user}") || strstr(r->fix, "{user}"));
}

struct hs_doctor_matcher {
	pcre2_code *code[ELEMENTSOF(hs_doctor_rules)];
	pcre2_match_data *md;
	pcre2_match_context *mctx;
};

void hs_doctor_matcher_free(hs_doctor_matcher *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < ELEMENTSOF(hs_doctor_rules); i++)
		hs_pcre2.pcre2_code_free(m->code[i]);
	hs_pcre2.pcre2_match_data_free(m->md);
	hs_pcre2.pcre2_match_context_free(m->mctx);
	free(m);
}
DEFINE_CLEANUP_FUNC(hs_doctor_matcher, hs_doctor_matcher_free);

int hs_doctor_matcher_new(hs_ctx *ctx, hs_doctor_matcher **out)
{
	_cleanup_(hs_doctor_matcher_freep) hs_doctor_matcher *m = NULL;
	uint32_t max_caps = 1;
	int r;

	*out = NULL;
	/* libpcre2-8 is loaded on first use (dl.c); a matcher exists only once it is there, so that
	 * hs_doctor_matcher_free() can call into it. */
	r = hs_dl_pcre2(ctx);
	if (r < 0)
		return r;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(hs_doctor_rules); i++) {
		const char *pat = hs_doctor_rules[i].pattern;
		PCRE2_SIZE off;
		uint32_t n;
		int err;

		if (!pat)
			continue;
		m->code[i] = hs_pcre2.pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, PCRE2_DOLLAR_ENDONLY, &err,
						    &off, NULL);
		if (!m->code[i]) {
			PCRE2_UCHAR what[160];

			hs_pcre2.pcre2_get_error_message(err, what, sizeof(what));
			return hs_ctx_set_error(ctx, -EINVAL, "doctor rule %zu (%s): invalid pattern at column %zu: %s",
						i + 1, hs_doctor_rules[i].id, (size_t)off + 1, (const char *)what);
		}
		(void)hs_pcre2.pcre2_jit_compile(m->code[i], PCRE2_JIT_COMPLETE); /* the interpreter is the fallback */
		if (hs_pcre2.pcre2_pattern_info(m->code[i], PCRE2_INFO_CAPTURECOUNT, &n) == 0 && n + 1 > max_caps)
			max_caps = n + 1;
	}
	m->md = hs_pcre2.pcre2_match_data_create(max_caps, NULL);
	m->mctx = hs_pcre2.pcre2_match_context_create(NULL);
	if (!m->md || !m->mctx)
		return -ENOMEM;
	/* Anchored literal patterns need little; the limits only bound a future pattern that backtracks badly. */
	hs_pcre2.pcre2_set_match_limit(m->mctx, 200000);
	hs_pcre2.pcre2_set_depth_limit(m->mctx, 5000);
	*out = TAKE_PTR(m);
	return 0;
}

static void copy_cap(pcre2_code *code, pcre2_match_data *md, const char *subject, const char *name, char *dst,
		     size_t max, bool (*ok)(const char *, size_t))
{
	int n = hs_pcre2.pcre2_substring_number_from_name(code, (PCRE2_SPTR)name);
	PCRE2_SIZE *ov = hs_pcre2.pcre2_get_ovector_pointer(md);
	size_t a, b;

	dst[0] = '\0';
	if (n <= 0 || (uint32_t)n >= hs_pcre2.pcre2_get_ovector_count(md))
		return;
	a = ov[2 * n];
	b = ov[2 * n + 1];
	if (a == PCRE2_UNSET || b < a || b - a >= max || !ok(subject + a, b - a))
		return;
	memcpy(dst, subject + a, b - a);
	dst[b - a] = '\0';
}

static bool dm_name_ok(const char *s, size_t len)
{
	return name_ok(s, len, 128, ".+@-");
}

static bool fs_name_ok(const char *s, size_t len)
{
	if (len == 0 || len >= 32)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || strchr("_.-", s[i]) || !s[i]))
			return false;
	return memchr(s, 0, len) == NULL;
}

int hs_doctor_match(hs_doctor_matcher *m, const char *msg, size_t len, hs_doctor_caps *caps)
{
	if (len > MSG_MAX)
		len = MSG_MAX;
	for (size_t i = 0; i < ELEMENTSOF(hs_doctor_rules); i++) {
		int rc;

		if (!m->code[i])
			continue;
		rc = hs_pcre2.pcre2_match(m->code[i], (PCRE2_SPTR)(msg ? msg : ""), len, 0, 0, m->md, m->mctx);
		if (rc < 0)
			continue; /* no match, or a limit hit: not this rule */
		if (caps) {
			copy_cap(m->code[i], m->md, msg, "user", caps->user, sizeof(caps->user), hs_doctor_name_ok);
			copy_cap(m->code[i], m->md, msg, "dm", caps->dm, sizeof(caps->dm), dm_name_ok);
			copy_cap(m->code[i], m->md, msg, "fs", caps->fs, sizeof(caps->fs), fs_name_ok);
		}
		return (int)i;
	}
	return -1;
}

