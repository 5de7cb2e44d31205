/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_model: throughput of the Portage model (atoms, versions, REQUIRED_USE), each figure beside a baseline
 * measured in the same run on the same data, so the ratio means something on any machine.
 *
 * Measured on one CPU with CLOCK_MONOTONIC, robustly on a busy machine (see "timing" below):
 *   atom parse (buffer)     hs_atom_parse_into() over a corpus of 100,000 generated atoms, into one reused
 *                           hs_atom_buf (what a caller that checks or matches many atoms and keeps none does:
 *                           `homesetup atom --batch`, a package.use check);
 *   atom parse+free         hs_atom_parse() + hs_atom_free() over the same corpus (what a caller that keeps
 *                           each atom pays); baseline of both: splitting the corpus text into its lines with
 *                           memchr().
 *   version compare         hs_version_compare() over 100,000 pairs of pre-parsed versions;
 *                           baseline: strcmp() of the same pairs as strings.
 *   vercmp (strings)        hs_vercmp() on the same pairs as (buf, len) strings; same baseline.
 *   version parse+free      hs_version_parse() + hs_version_free() of the pairs' 200,000 version strings;
 *                           baseline: memchr() line split of the same strings.
 *   REQUIRED_USE check      hs_requse_check() of sys-apps/systemd-260.1's REQUIRED_USE (md5-cache form) against
 *                           generated USE sets, with its IUSE as IUSE_EFFECTIVE; baseline: one
 *                           hs_useset_has() per flag the expression names, on the same sets.
 * and the heap allocations per operation, counted by interposing malloc/calloc/realloc/free in this binary
 * (skipped in sanitizer builds, whose runtime owns malloc). The corpora come from gen_corpus.c;
 * `bench_model --dump-corpus` prints the atom corpus. BENCH_MIN_SECONDS sets the time spent per figure.
 *
 * Exit status: 0, also when a figure is BELOW its target (time is never asserted on); 1 when a corpus atom does
 * not parse back as generated (with either API), a library call fails, or a version comparison or a parse into
 * a grown atom buffer allocates (homesetup.h promises neither does); 2 on bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "homesetup.h"

/* The Makefile builds one source per benchmark: the corpus generator comes in as part of this one. */
#include "gen_corpus.c"

#define N_PAIRS 100000
#define N_USESETS 4096

/* ---- allocation counting --------------------------------------------------------------------------- */
/* glibc supports replacing malloc by defining it in the executable; every caller (the library, libc's own
 * strdup and friends) then comes here. We count and forward to glibc's allocator, so free() stays matched.
 * Sanitizer runtimes own malloc themselves: then nothing is counted and the figures read "n/a". */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifdef SANITIZED
#define COUNT_ALLOCS 0
#endif
#ifndef COUNT_ALLOCS
#if defined(__GLIBC__)
#define COUNT_ALLOCS 1
#else
#define COUNT_ALLOCS 0
#endif
#endif

static size_t n_allocs, n_frees;

#if COUNT_ALLOCS
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);

void *malloc(size_t size)
{
	n_allocs++;
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	n_allocs++;
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	/* Growing or shrinking a block is an allocation as far as a hot path is concerned. */
	n_allocs++;
	return __libc_realloc(p, size);
}

void free(void *p)
{
	if (p)
		n_frees++;
	__libc_free(p);
}
#endif

/* ---- timing --------------------------------------------------------------------------------------- */
/* A figure is the sum, over CHUNKS consecutive slices of the data, of the fastest time seen for each slice in
 * several passes. A slice takes from tens of microseconds to about a millisecond, well under a scheduler time
 * slice, so even on a busy machine each slice gets some run that nothing interrupted, and the sum estimates one
 * undisturbed pass. Subject and
 * baseline alternate slice by slice, so whatever else runs slows both alike. */
static double min_seconds = 0.5;  /* per figure: at least this long in total ... */
#define MIN_PASSES 5              /* ... and at least this many passes */
#define MAX_PASSES 2000
#define CHUNKS 64

static volatile uint64_t sink;    /* results go here so no loop can be optimised away */
static int pass_error;            /* a library call failed inside a timed pass */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One benchmark body over items [lo, hi) of its data. */
typedef void (*pass_fn)(size_t lo, size_t hi);

static double time_slice(pass_fn fn, size_t lo, size_t hi)
{
	double t0 = now();

	fn(lo, hi);
	if (pass_error)
		die("a library call failed during a timed pass (see above)");
	return now() - t0;
}

/* Seconds of an undisturbed pass over n items, of the subject and of its baseline. */
static void best_passes(pass_fn subject, pass_fn baseline, size_t n, double *t_subject, double *t_baseline)
{
	double best_s[CHUNKS], best_b[CHUNKS], total = 0;

	for (int c = 0; c < CHUNKS; c++)
		best_s[c] = best_b[c] = INFINITY;
	for (int pass = 0; pass < MAX_PASSES && (pass < MIN_PASSES || total < min_seconds); pass++)
		for (int c = 0; c < CHUNKS; c++) {
			size_t lo = n * (size_t)c / CHUNKS, hi = n * (size_t)(c + 1) / CHUNKS;
			double ds = time_slice(subject, lo, hi), db = time_slice(baseline, lo, hi);

			total += ds + db;
			if (ds < best_s[c])
				best_s[c] = ds;
			if (db < best_b[c])
				best_b[c] = db;
		}
	*t_subject = *t_baseline = 0;
	for (int c = 0; c < CHUNKS; c++) {
		*t_subject += best_s[c];
		*t_baseline += best_b[c];
	}
}

/* Allocations per item made by one pass over n items (and how many of them were not freed again). */
static double allocs_per_op(pass_fn fn, size_t n, size_t ops_per_item, long *unfreed)
{
	size_t a0 = n_allocs, f0 = n_frees;

	fn(0, n);
	*unfreed = (long)(n_allocs - a0) - (long)(n_frees - f0);
	return (double)(n_allocs - a0) / (double)(n * ops_per_item);
}

/* ---- benchmark bodies ----------------------------------------------------------------------------- */
static hs_ctx *ctx;

/* Splitting text into lines with memchr(), from byte lo to byte hi. */
static void memchr_lines(const char *p, const char *end)
{
	uint64_t acc = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl)
			break;
		acc += (uint64_t)(nl - p);
		p = nl + 1;
	}
	sink += acc;
}

/* Lines lo..hi-1 of the atom corpus. */
static void pass_memchr_lines(size_t lo, size_t hi)
{
	memchr_lines(corpus.p + atoms[lo].off, corpus.p + atoms[hi - 1].off + atoms[hi - 1].len + 1);
}

static void pass_atom_parse(size_t lo, size_t hi)
{
	uint64_t acc = 0;

	for (size_t i = lo; i < hi; i++) {
		hs_atom *a = NULL;
		int r = hs_atom_parse(ctx, &a, corpus.p + atoms[i].off, atoms[i].len, HS_ATOM_ALLOW_REPO);

		if (r < 0) {
			fprintf(stderr, "bench_model: atom %zu '%.*s' failed to parse: %s\n", i + 1,
				(int)atoms[i].len, corpus.p + atoms[i].off, hs_ctx_last_error(ctx));
			pass_error = 1;
			return;
		}
		acc += (uint64_t)hs_atom_op_get(a);
		hs_atom_free(a);
	}
	sink += acc;
}

static hs_atom_buf *atom_buf;

static void pass_atom_parse_into(size_t lo, size_t hi)
{
	uint64_t acc = 0;

	for (size_t i = lo; i < hi; i++) {
		const hs_atom *a = NULL;
		int r = hs_atom_parse_into(ctx, &a, atom_buf, corpus.p + atoms[i].off, atoms[i].len,
					   HS_ATOM_ALLOW_REPO);

		if (r < 0) {
			fprintf(stderr, "bench_model: atom %zu '%.*s' failed to parse into a buffer: %s\n", i + 1,
				(int)atoms[i].len, corpus.p + atoms[i].off, hs_ctx_last_error(ctx));
			pass_error = 1;
			return;
		}
		acc += (uint64_t)hs_atom_op_get(a);
	}
	sink += acc;
}

/* The version-pair corpus: strings (NUL-terminated, with lengths) and their parsed forms. */
static text pair_text;      /* "a\0b\0" per pair */
static text pair_lines;     /* the same bytes with '\n' for '\0', for the line-split baseline */
static uint32_t (*pair_off)[2], (*pair_len)[2];
static hs_version *(*pair_ver)[2];

static void pass_strcmp(size_t lo, size_t hi)
{
	uint64_t acc = 0;

	for (size_t i = lo; i < hi; i++)
		acc += (uint64_t)(strcmp(pair_text.p + pair_off[i][0], pair_text.p + pair_off[i][1]) > 0);
	sink += acc;
}

static void pass_version_compare(size_t lo, size_t hi)
{
	uint64_t acc = 0;

	for (size_t i = lo; i < hi; i++)
		acc += (uint64_t)(hs_version_compare(pair_ver[i][0], pair_ver[i][1]) > 0);
	sink += acc;
}

static void pass_vercmp(size_t lo, size_t hi)
{
	uint64_t acc = 0;

	for (size_t i = lo; i < hi; i++) {
		int res = 0;

		if (hs_vercmp(ctx, pair_text.p + pair_off[i][0], pair_len[i][0], pair_text.p + pair_off[i][1],
			      pair_len[i][1], &res) < 0) {
			fprintf(stderr, "bench_model: hs_vercmp('%s', '%s') failed: %s\n",
				pair_text.p + pair_off[i][0], pair_text.p + pair_off[i][1], hs_ctx_last_error(ctx));
			pass_error = 1;
			return;
		}
		acc += (uint64_t)(res > 0);
	}
	sink += acc;
}

/* The two lines of pairs lo..hi-1. */
static void pass_memchr_versions(size_t lo, size_t hi)
{
	memchr_lines(pair_lines.p + pair_off[lo][0], pair_lines.p + pair_off[hi - 1][1] + pair_len[hi - 1][1] + 1);
}

static void pass_version_parse(size_t lo, size_t hi)
{
	uint64_t acc = 0;

	for (size_t i = lo; i < hi; i++)
		for (int k = 0; k < 2; k++) {
			hs_version *v = NULL;

			if (hs_version_parse(ctx, &v, pair_text.p + pair_off[i][k], pair_len[i][k]) < 0) {
				fprintf(stderr, "bench_model: version '%s' failed to parse: %s\n",
					pair_text.p + pair_off[i][k], hs_ctx_last_error(ctx));
				pass_error = 1;
				return;
			}
			acc += (uint64_t)(uintptr_t)v;
			hs_version_free(v);
		}
	sink += acc;
}

/* sys-apps/systemd-260.1, metadata/md5-cache (docs/portage-facts.md §1.1). */
static const char systemd_iuse[] =
	"acl apparmor audit boot bpf cryptsetup curl +dns-over-tls elfutils fido2 +gcrypt gnutls homed idn "
	"importd +kernel-install +kmod +lz4 lzma +openssl pam passwdqc pcre pkcs11 policykit pwquality qrcode "
	"remote +resolvconf +seccomp selinux sysv-utils test tpm ukify vanilla xkb +zstd abi_x86_32 abi_x86_64 "
	"abi_x86_x32 abi_mips_n32 abi_mips_n64 abi_mips_o32 abi_s390_32 abi_s390_64 "
	"python_single_target_python3_11 python_single_target_python3_12 python_single_target_python3_13 "
	"python_single_target_python3_14 secureboot";
static const char systemd_requse[] =
	"^^ ( python_single_target_python3_11 python_single_target_python3_12 python_single_target_python3_13 "
	"python_single_target_python3_14 ) boot? ( kernel-install ) dns-over-tls? ( openssl ) fido2? ( "
	"cryptsetup openssl ) homed? ( cryptsetup pam openssl ) importd? ( curl lzma openssl ) ?? ( passwdqc "
	"pwquality ) passwdqc? ( homed ) pwquality? ( homed ) remote? ( curl ) ukify? ( boot )";

static hs_requse *requse;
static hs_iuse *iuse;
static hs_useset *usesets[N_USESETS];
static struct { const char *p; size_t len; } requse_refs[64];  /* every flag reference, in order */
static size_t n_requse_refs;
static size_t n_satisfied;  /* of the generated USE sets */
#define N_EVALS (16 * N_USESETS)

static void pass_requse_check(size_t lo, size_t hi)
{
	const hs_useset *ie = hs_iuse_flags(iuse);
	uint64_t acc = 0;

	for (size_t i = lo; i < hi; i++) {
		int r = hs_requse_check(ctx, requse, usesets[i % N_USESETS], ie);

		if (r < 0) {
			fprintf(stderr, "bench_model: hs_requse_check failed: %s\n", hs_ctx_last_error(ctx));
			pass_error = 1;
			return;
		}
		acc += (uint64_t)r;
	}
	sink += acc;
}

static void pass_useset_lookups(size_t lo, size_t hi)
{
	uint64_t acc = 0;

	for (size_t i = lo; i < hi; i++) {
		const hs_useset *u = usesets[i % N_USESETS];

		for (size_t k = 0; k < n_requse_refs; k++)
			acc += hs_useset_has(u, requse_refs[k].p, requse_refs[k].len);
	}
	sink += acc;
}

/* ---- setup ---------------------------------------------------------------------------------------- */
static int check_str(size_t i, const char *what, const char *got, const char *want)
{
	if ((got == NULL) != (want == NULL) || (got && strcmp(got, want) != 0)) {
		fprintf(stderr, "bench_model: atom %zu '%.*s': %s is '%s', expected '%s'\n", i + 1,
			(int)atoms[i].len, corpus.p + atoms[i].off, what, got ? got : "(none)",
			want ? want : "(none)");
		return -1;
	}
	return 0;
}

static int check_int(size_t i, const char *what, long got, long want)
{
	if (got != want) {
		fprintf(stderr, "bench_model: atom %zu '%.*s': %s is %ld, expected %ld\n", i + 1,
			(int)atoms[i].len, corpus.p + atoms[i].off, what, got, want);
		return -1;
	}
	return 0;
}

/* Atom i as parsed, against what was generated: 0, or -1 (after a message) for a mismatch. */
static int check_atom(size_t i, const hs_atom *a)
{
	const atom_info *ai = &atoms[i];
	const hs_version *v = hs_atom_version(a);
	const char *slash = strchr(ai->pkg->cp, '/');
	char cat[64];

	snprintf(cat, sizeof(cat), "%.*s", (int)(slash - ai->pkg->cp), ai->pkg->cp);
	if (check_str(i, "category", hs_atom_category(a), cat) < 0 ||
	    check_str(i, "package", hs_atom_package(a), slash + 1) < 0 ||
	    check_int(i, "operator", hs_atom_op_get(a), ai->op) < 0 ||
	    check_int(i, "blocker", hs_atom_blocker(a), ai->blocker) < 0 ||
	    check_str(i, "version", v ? hs_version_str(v) : NULL, ai->op == HS_OP_NONE ? NULL : vers.p + ai->ver_off) < 0 ||
	    check_str(i, "slot", hs_atom_slot(a), ai->slot) < 0 ||
	    check_str(i, "sub-slot", hs_atom_subslot(a), ai->subslot) < 0 ||
	    check_int(i, "slot operator", hs_atom_slot_op(a), ai->slot_op) < 0 ||
	    check_str(i, "repository", hs_atom_repo(a), ai->repo) < 0 ||
	    check_int(i, "USE dependency count", (long)hs_atom_usedep_count(a), ai->n_use) < 0)
		return -1;
	return 0;
}

/* Parse every atom once with each API and compare with what was generated: a mismatch is a parser bug. */
static int verify_corpus(void)
{
	int bad = 0;

	for (size_t i = 0; i < N_ATOMS && bad < 10; i++) {
		const atom_info *ai = &atoms[i];
		const hs_atom *b = NULL;
		hs_atom *a = NULL;
		int r = hs_atom_parse(ctx, &a, corpus.p + ai->off, ai->len, HS_ATOM_ALLOW_REPO);

		if (r < 0) {
			fprintf(stderr, "bench_model: atom %zu '%.*s' failed to parse (%s): %s\n", i + 1,
				(int)ai->len, corpus.p + ai->off, strerror(-r), hs_ctx_last_error(ctx));
			bad++;
			continue;
		}
		if (check_atom(i, a) < 0)
			bad++;
		hs_atom_free(a);
		r = hs_atom_parse_into(ctx, &b, atom_buf, corpus.p + ai->off, ai->len, HS_ATOM_ALLOW_REPO);
		if (r < 0) {
			fprintf(stderr, "bench_model: atom %zu '%.*s' failed to parse into a buffer (%s): %s\n", i + 1,
				(int)ai->len, corpus.p + ai->off, strerror(-r), hs_ctx_last_error(ctx));
			bad++;
			continue;
		}
		if (check_atom(i, b) < 0)
			bad++;
	}
	return bad ? -1 : 0;
}

/* The version-pair corpus, as strings and parsed. */
static void build_pairs(void)
{
	pair_off = xmalloc(sizeof(*pair_off) * N_PAIRS);
	pair_len = xmalloc(sizeof(*pair_len) * N_PAIRS);
	pair_ver = xmalloc(sizeof(*pair_ver) * N_PAIRS);
	for (size_t i = 0; i < N_PAIRS; i++) {
		char ver[2][128];

		gen_version_pair(ver[0], ver[1], sizeof(ver[0]));
		for (int k = 0; k < 2; k++) {
			pair_off[i][k] = (uint32_t)pair_text.len;
			pair_len[i][k] = (uint32_t)strlen(ver[k]);
			text_add(&pair_text, ver[k], pair_len[i][k] + 1);
			text_puts(&pair_lines, ver[k]);
			text_add(&pair_lines, "\n", 1);  /* same offsets as in pair_text */
			if (hs_version_parse(ctx, &pair_ver[i][k], ver[k], pair_len[i][k]) < 0)
				die("version '%s' of the pair corpus failed to parse: %s", ver[k],
				    hs_ctx_last_error(ctx));
		}
	}
}

static void build_usesets(void)
{
	const hs_useset *flags;
	static const char *const py[] = {
		"python_single_target_python3_11", "python_single_target_python3_12",
		"python_single_target_python3_13", "python_single_target_python3_14",
	};
	const char *p, *end;
	hs_useset *u = NULL;
	int r;

	if (hs_iuse_parse(ctx, &iuse, systemd_iuse, strlen(systemd_iuse)) < 0)
		die("systemd-260.1 IUSE failed to parse: %s", hs_ctx_last_error(ctx));
	if (hs_requse_parse(ctx, &requse, systemd_requse, strlen(systemd_requse), 8) < 0)
		die("systemd-260.1 REQUIRED_USE failed to parse: %s", hs_ctx_last_error(ctx));
	flags = hs_iuse_flags(iuse);

	/* Flag references, for the lookup baseline: every token but operators and parentheses. */
	for (p = systemd_requse, end = p + strlen(p); p < end;) {
		const char *tok;
		size_t len;

		while (p < end && *p == ' ')
			p++;
		tok = p;
		while (p < end && *p != ' ')
			p++;
		len = (size_t)(p - tok);
		if (len == 0 || (len == 1 && (*tok == '(' || *tok == ')')) ||
		    (len == 2 && (!memcmp(tok, "||", 2) || !memcmp(tok, "^^", 2) || !memcmp(tok, "??", 2))))
			continue;
		if (*tok == '!')
			tok++, len--;
		if (tok[len - 1] == '?')
			len--;
		if (n_requse_refs == sizeof(requse_refs) / sizeof(*requse_refs))
			die("too many flags in REQUIRED_USE");
		requse_refs[n_requse_refs].p = tok;
		requse_refs[n_requse_refs++].len = len;
	}

	/* Sanity against Portage's own answers (docs/portage-facts.md §1.1): IUSE defaults + homed is not
	 * enough, adding cryptsetup and pam is. */
	if (hs_useset_new(&u) < 0)
		die("out of memory");
	for (size_t i = 0; i < hs_useset_count(flags); i++) {
		const char *f = hs_useset_get(flags, i);

		if (hs_iuse_default_of(iuse, f, strlen(f)) > 0)
			hs_useset_add(u, f, strlen(f));
	}
	hs_useset_add(u, "python_single_target_python3_13", 31);
	hs_useset_add(u, "homed", 5);
	r = hs_requse_check(ctx, requse, u, flags);
	if (r != 0)
		die("REQUIRED_USE check of 'homed' + IUSE defaults returned %d, Portage says unsatisfied (0)%s%s", r,
		    r < 0 ? ": " : "", r < 0 ? hs_ctx_last_error(ctx) : "");
	hs_useset_add(u, "cryptsetup", 10);
	hs_useset_add(u, "pam", 3);
	r = hs_requse_check(ctx, requse, u, flags);
	if (r != 1)
		die("REQUIRED_USE check of 'homed cryptsetup pam' + IUSE defaults returned %d, Portage says "
		    "satisfied (1)%s%s", r, r < 0 ? ": " : "", r < 0 ? hs_ctx_last_error(ctx) : "");
	hs_useset_free(u);

	/* Generated sets: the IUSE defaults, each flag toggled with probability 1/10 (profile and user
	 * changes), homed (with or without what it needs) on 300 in 1000, exactly one Python target on 920 in
	 * 1000, none on 40, two on 40. */
	for (size_t n = 0; n < N_USESETS; n++) {
		if (hs_useset_new(&usesets[n]) < 0)
			die("out of memory");
		u = usesets[n];
		for (size_t i = 0; i < hs_useset_count(flags); i++) {
			const char *f = hs_useset_get(flags, i);
			bool on = hs_iuse_default_of(iuse, f, strlen(f)) > 0;

			if (strncmp(f, "python_single_target_", 21) == 0)
				continue;
			if (roll() < 100)
				on = !on;
			if (on && hs_useset_add(u, f, strlen(f)) < 0)
				die("out of memory");
		}
		if (roll() < 300) {
			hs_useset_add(u, "homed", 5);
			if (roll() < 700) {
				hs_useset_add(u, "cryptsetup", 10);
				hs_useset_add(u, "pam", 3);
				hs_useset_add(u, "openssl", 7);
			}
		}
		r = (int)roll();
		if (r < 920) {
			hs_useset_add(u, py[rng_below(4)], 31);
		} else if (r >= 960) {
			unsigned k = rng_below(4);

			hs_useset_add(u, py[k], 31);
			hs_useset_add(u, py[(k + 1 + rng_below(3)) % 4], 31);
		}
		r = hs_requse_check(ctx, requse, u, flags);
		if (r < 0)
			die("REQUIRED_USE check failed: %s", hs_ctx_last_error(ctx));
		n_satisfied += (size_t)r;
	}
}

/* ---- machine and report --------------------------------------------------------------------------- */
static void cpu_model(char *out, size_t outsz)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[512];

	snprintf(out, outsz, "unknown CPU");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');

		if (colon && (strncmp(line, "model name", 10) == 0 || strncmp(line, "Model", 5) == 0 ||
			      strncmp(line, "cpu model", 9) == 0)) {
			colon++;
			while (*colon == ' ' || *colon == '\t')
				colon++;
			colon[strcspn(colon, "\n")] = '\0';
			snprintf(out, outsz, "%s", colon);
			break;
		}
	}
	fclose(f);
}

/* The 1-minute load average, as text. */
static void load_average(char *out, size_t outsz)
{
	FILE *f = fopen("/proc/loadavg", "re");

	snprintf(out, outsz, "unknown");
	if (f) {
		if (fscanf(f, "%31s", out) != 1)
			snprintf(out, outsz, "unknown");
		fclose(f);
	}
}

/* Pin to the CPU we run on, so the figures are one core's; failure (containers, odd kernels) is fine. */
static int pin_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	if (cpu < 0)
		return -1;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) < 0 ? -1 : cpu;
}

static const char *rate(double v, char *buf, size_t n)
{
	if (v <= 0)
		snprintf(buf, n, "-");
	else if (v >= 1e9)
		snprintf(buf, n, "%.2f G", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, n, "%.2f M", v / 1e6);
	else if (v >= 1e3)
		snprintf(buf, n, "%.2f k", v / 1e3);
	else
		snprintf(buf, n, "%.2f", v);
	return buf;
}

static void row(const char *name, double value, double baseline, double target)
{
	char v[32], b[32], t[32], r[32];

	if (baseline > 0)
		snprintf(r, sizeof(r), "%.3f", value / baseline);
	else
		snprintf(r, sizeof(r), "-");
	if (target > 0) {
		char tr[32];

		snprintf(t, sizeof(t), ">= %s", rate(target, tr, sizeof(tr)));
	} else {
		snprintf(t, sizeof(t), "-");
	}
	printf("%-28s %12s %12s %8s %12s  %s\n", name, rate(value, v, sizeof(v)), rate(baseline, b, sizeof(b)), r,
	       t, target <= 0 ? "-" : value >= target ? "PASS" : "BELOW");
}

/* An allocation figure: per operation, with a ceiling (negative: none); returns false when above it. Above a
 * ceiling the API promises (contract) reads FAIL, above one it only documents reads ABOVE. */
static bool alloc_row(const char *name, double per_op, long unfreed, double ceiling, bool contract)
{
	char t[32];
	bool ok = ceiling < 0 || per_op <= ceiling + 1e-9;

	if (!COUNT_ALLOCS) {
		printf("%-28s %12s %12s %8s %12s  %s\n", name, "n/a", "-", "-", "-", "-");
		return true;
	}
	if (ceiling < 0)
		snprintf(t, sizeof(t), "-");
	else
		snprintf(t, sizeof(t), "<= %g", ceiling);
	printf("%-28s %12.3f %12s %8s %12s  %s", name, per_op, "-", "-", t,
	       ceiling < 0 ? "-" : ok ? "PASS" : contract ? "FAIL" : "ABOVE");
	if (unfreed)
		printf("  (%ld not freed)", unfreed);
	putchar('\n');
	return ok;
}

int main(int argc, char **argv)
{
	char model[256], loadavg[32];
	const char *env = getenv("BENCH_MIN_SECONDS");
	double t_memchr, t_memchr2, t_parse, t_into, t_strcmp, t_strcmp2, t_cmp, t_vercmp, t_vmemchr, t_vparse, t_check, t_lookup;
	double a_parse, a_into, a_cmp, a_vercmp, a_vparse, a_check;
	long u_parse, u_into, u_cmp, u_vercmp, u_vparse, u_check;
	bool contract_ok = true;
	int cpu;

	if (argc == 2 && strcmp(argv[1], "--dump-corpus") == 0) {
		/* The generated atoms, one per line: to cross-check them with other tools or seed a fuzzer. */
		if (hs_ctx_new(&ctx) < 0)
			die("out of memory");
		build_corpus();
		fwrite(corpus.p, 1, corpus.len, stdout);
		hs_ctx_free(ctx);
		return fflush(stdout) == 0 ? 0 : 1;
	}
	if (argc > 1) {
		fprintf(stderr, "usage: %s [--dump-corpus]\n"
			"environment: BENCH_MIN_SECONDS, seconds spent per figure (default 0.5)\n", argv[0]);
		return 2;
	}
	if (env && *env) {
		char *e;
		double s = strtod(env, &e);

		if (*e || !(s > 0) || s > 60) {
			fprintf(stderr, "bench_model: BENCH_MIN_SECONDS='%s' is not a number of seconds in (0, 60]\n",
				env);
			return 2;
		}
		min_seconds = s;
	}

	cpu = pin_cpu();
	cpu_model(model, sizeof(model));
	load_average(loadavg, sizeof(loadavg));
	if (hs_ctx_new(&ctx) < 0 || hs_atom_buf_new(&atom_buf) < 0)
		die("out of memory");

	build_corpus();
	build_pairs();
	build_usesets();
	if (verify_corpus() < 0)
		die("the atom corpus does not parse back as generated: a bug in hs_atom_parse (see above)");

	printf("bench_model: libhomesetup %s\n", HS_VERSION_STRING);
	printf("machine:     %ld CPUs online, %s; ", sysconf(_SC_NPROCESSORS_ONLN), model);
	if (cpu >= 0)
		printf("pinned to CPU %d\n", cpu);
	else
		printf("not pinned (sched_setaffinity failed)\n");
	printf("corpus:      %d atoms, %zu bytes (%.1f bytes/atom), FNV-1a %016" PRIx64 "; %d version pairs;\n"
	       "             %d USE sets for systemd-260.1, %.0f%% of them satisfying its REQUIRED_USE\n", N_ATOMS,
	       corpus.len, (double)corpus.len / N_ATOMS, fnv1a(corpus.p, corpus.len), N_PAIRS, N_USESETS,
	       100.0 * (double)n_satisfied / N_USESETS);
#ifdef SANITIZED
	printf("note:        sanitizer build: the figures measure instrumented code, not the library\n");
#endif
	printf("timing:      >= %d passes and >= %.2f s per figure; the fastest run of each 1/%d of the data,\n"
	       "             summed; subject and baseline alternating; load average %s when starting\n\n",
	       MIN_PASSES, min_seconds, CHUNKS, loadavg);
	fflush(stdout);

	best_passes(pass_atom_parse_into, pass_memchr_lines, N_ATOMS, &t_into, &t_memchr2);
	best_passes(pass_atom_parse, pass_memchr_lines, N_ATOMS, &t_parse, &t_memchr);
	best_passes(pass_version_compare, pass_strcmp, N_PAIRS, &t_cmp, &t_strcmp);
	best_passes(pass_vercmp, pass_strcmp, N_PAIRS, &t_vercmp, &t_strcmp2);
	best_passes(pass_version_parse, pass_memchr_versions, N_PAIRS, &t_vparse, &t_vmemchr);
	best_passes(pass_requse_check, pass_useset_lookups, N_EVALS, &t_check, &t_lookup);

	a_into = allocs_per_op(pass_atom_parse_into, N_ATOMS, 1, &u_into); /* the buffer has grown in the passes */
	a_parse = allocs_per_op(pass_atom_parse, N_ATOMS, 1, &u_parse);
	a_cmp = allocs_per_op(pass_version_compare, N_PAIRS, 1, &u_cmp);
	a_vercmp = allocs_per_op(pass_vercmp, N_PAIRS, 1, &u_vercmp);
	a_vparse = allocs_per_op(pass_version_parse, N_PAIRS, 2, &u_vparse);
	a_check = allocs_per_op(pass_requse_check, N_EVALS, 1, &u_check);
	if (pass_error)
		die("a library call failed (see above)");

	printf("%-28s %12s %12s %8s %12s  %s\n", "benchmark", "value/s", "baseline/s", "ratio", "target",
	       "result");
	row("atom parse (buffer)", N_ATOMS / t_into, N_ATOMS / t_memchr2, 10e6);
	row("atom parse+free", N_ATOMS / t_parse, N_ATOMS / t_memchr, 10e6);
	row("version compare (parsed)", N_PAIRS / t_cmp, N_PAIRS / t_strcmp, 30e6);
	row("vercmp (strings)", N_PAIRS / t_vercmp, N_PAIRS / t_strcmp2, 0);
	row("version parse+free", 2 * N_PAIRS / t_vparse, 2 * N_PAIRS / t_vmemchr, 0);
	row("REQUIRED_USE check", N_EVALS / t_check, N_EVALS / t_lookup, 0);
	printf("\n%-28s %12s %12s %8s %12s  %s\n", "allocations", "per op", "", "", "target", "result");
	contract_ok &= alloc_row("per version compare", a_cmp, u_cmp, 0, true);
	contract_ok &= alloc_row("per vercmp (strings)", a_vercmp, u_vercmp, 0, true);
	contract_ok &= alloc_row("per atom parse (buffer)", a_into, u_into, 0, true);
	alloc_row("per atom parse+free", a_parse, u_parse, 1, false);
	alloc_row("per version parse+free", a_vparse, u_vparse, -1, false);
	alloc_row("per REQUIRED_USE check", a_check, u_check, -1, false);

	printf("\nbaselines (same run, same data):\n"
	       "  atom parse: splitting the corpus text into its %d lines with memchr(); ratio = parse rate / split\n"
	       "              rate (1/ratio = what one atom costs in line splits of the same bytes); (buffer):\n"
	       "              hs_atom_parse_into() into one reused hs_atom_buf, no allocation; +free: hs_atom_parse()\n"
	       "              and hs_atom_free(), one malloc and one free per atom\n"
	       "  version compare, vercmp: strcmp() of the same pairs as C strings; ratio = rate / strcmp rate\n"
	       "  version parse: memchr() line split of the same %d version strings\n"
	       "  REQUIRED_USE: %zu hs_useset_has() calls per evaluation, one per flag the expression names,\n"
	       "              on the same USE sets (> 1: the evaluator skips branches; < 1: overhead beyond lookups)\n",
	       N_ATOMS, 2 * N_PAIRS, n_requse_refs);
	printf("for scale (issue, one core of this machine class): portage-utils libq ~4.5 M atoms/s and ~12 M\n"
	       "  version comparisons/s; Portage 0.13-0.24 M atoms/s. Targets: >= 10 M atoms/s, >= 30 M\n"
	       "  comparisons/s, no allocation per comparison. Times are never asserted on; a BELOW is a figure\n"
	       "  to look at, not a failure.\n");

	for (size_t i = 0; i < N_PAIRS; i++) {
		hs_version_free(pair_ver[i][0]);
		hs_version_free(pair_ver[i][1]);
	}
	for (size_t i = 0; i < N_USESETS; i++)
		hs_useset_free(usesets[i]);
	hs_requse_free(requse);
	hs_iuse_free(iuse);
	hs_atom_buf_free(atom_buf);
	hs_ctx_free(ctx);
	free(pair_ver);
	free(pair_off);
	free(pair_len);
	free(atoms);
	free(corpus.p);
	free(vers.p);
	free(pair_text.p);
	free(pair_lines.p);

	if (!contract_ok) {
		fprintf(stderr, "bench_model: a version comparison, or a parse into a grown atom buffer, allocated "
			"memory; homesetup.h promises neither does\n");
		return 1;
	}
	return 0;
}
