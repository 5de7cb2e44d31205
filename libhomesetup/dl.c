/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Libraries that only some commands need, loaded on first use.
 *
 * libcryptsetup (image_luks.c), libblkid (image.c) and libpcre2-8 (doctor_rules.c) serve `image inspect` and
 * `doctor` alone. Linked, they are mapped and relocated by every start of every command: libcryptsetup brings
 * libcrypto, libdevmapper, libselinux (whose constructor reads /proc), libudev and libm with it, about 2.5 MB of
 * resident memory and 3 ms before main(). So they are opened here with dlopen() by soname, the way systemd opens
 * libcryptsetup, and their functions are called through tables typed from the libraries' own headers
 * (__typeof__), so that a call with the wrong arguments still fails to compile.
 *
 * A library that is missing, cannot be loaded or lacks a function the table needs gives -EOPNOTSUPP with a
 * message naming the soname and the package it comes with; the callers turn that into a finding or a note. A
 * failure is not remembered (installing the package fixes a long-running caller); a loaded library stays loaded.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>

#include <blkid.h>
#include <libcryptsetup.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "homesetupP.h"

/* The sonames the build found (Makefile: the SONAME of the libraries pkg-config points at); these defaults are
 * the sonames of libcryptsetup ≥ 2.0, util-linux's libblkid and PCRE2 10.x. */
#ifndef HS_SONAME_CRYPTSETUP
#define HS_SONAME_CRYPTSETUP "libcryptsetup.so.12"
#endif
#ifndef HS_SONAME_BLKID
#define HS_SONAME_BLKID "libblkid.so.1"
#endif
#ifndef HS_SONAME_PCRE2
#define HS_SONAME_PCRE2 "libpcre2-8.so.0"
#endif

struct hs_dl_cryptsetup hs_cryptsetup;
struct hs_dl_blkid hs_blkid;
struct hs_dl_pcre2 hs_pcre2;

/* The name a symbol has in the library: pcre2.h maps pcre2_compile to pcre2_compile_8, so expand first. */
#define DL_STR_(s) #s
#define DL_STR(s) DL_STR_(s)

typedef struct dl_sym {
	const char *name;
	size_t offset; /* of its pointer in the table */
} dl_sym;

#define DL_SYM_CRYPTSETUP(s) { DL_STR(s), offsetof(struct hs_dl_cryptsetup, s) },
#define DL_SYM_BLKID(s) { DL_STR(s), offsetof(struct hs_dl_blkid, s) },
#define DL_SYM_PCRE2(s) { DL_STR(s), offsetof(struct hs_dl_pcre2, s) },

static const dl_sym syms_cryptsetup[] = { HS_DL_CRYPTSETUP_SYMS(DL_SYM_CRYPTSETUP) };
static const dl_sym syms_blkid[] = { HS_DL_BLKID_SYMS(DL_SYM_BLKID) };
static const dl_sym syms_pcre2[] = { HS_DL_PCRE2_SYMS(DL_SYM_PCRE2) };

typedef struct dl_lib {
	const char *soname;       /* what dlopen() is asked for */
	const char *package;      /* where it comes from, for the message */
	const dl_sym *syms;
	size_t n_syms;
	void *table;              /* hs_cryptsetup, hs_blkid, hs_pcre2 */
	size_t table_size;
	bool loaded;
} dl_lib;

static dl_lib libs[HS_DL__MAX] = {
	[HS_DL_CRYPTSETUP] = { HS_SONAME_CRYPTSETUP, "sys-fs/cryptsetup", syms_cryptsetup, ELEMENTSOF(syms_cryptsetup),
			       &hs_cryptsetup, sizeof(hs_cryptsetup), false },
	[HS_DL_BLKID] = { HS_SONAME_BLKID, "sys-apps/util-linux", syms_blkid, ELEMENTSOF(syms_blkid), &hs_blkid,
			  sizeof(hs_blkid), false },
	[HS_DL_PCRE2] = { HS_SONAME_PCRE2, "dev-libs/libpcre2", syms_pcre2, ELEMENTSOF(syms_pcre2), &hs_pcre2,
			  sizeof(hs_pcre2), false },
};
static const char *const default_sonames[HS_DL__MAX] = {
	[HS_DL_CRYPTSETUP] = HS_SONAME_CRYPTSETUP,
	[HS_DL_BLKID] = HS_SONAME_BLKID,
	[HS_DL_PCRE2] = HS_SONAME_PCRE2,
};
static pthread_mutex_t dl_lock = PTHREAD_MUTEX_INITIALIZER;

const char *hs_dl_soname(hs_dl_lib lib)
{
	return (unsigned)lib < HS_DL__MAX ? libs[lib].soname : NULL;
}

const char *hs_dl_package(hs_dl_lib lib)
{
	return (unsigned)lib < HS_DL__MAX ? libs[lib].package : NULL;
}

/* dlerror()'s text without a leading "<soname>: ", which the message names already. */
static const char *dl_reason(const char *soname, const char *err, bool *absent)
{
	size_t n = strlen(soname);

	*absent = false;
	if (!err)
		return "unknown error";
	if (strncmp(err, soname, n) == 0 && err[n] == ':' && err[n + 1] == ' ') {
		err += n + 2;
		/* the library itself is not there (not one of its dependencies) */
		*absent = strncmp(err, "cannot open shared object file", 30) == 0;
	}
	return err;
}

/* Called with dl_lock held. */
static int dl_load_locked(dl_lib *L, char **why)
{
	_cleanup_free_ unsigned char *table = NULL;
	const char *reason;
	void *h;
	bool absent;
	int n;

	if (L->loaded)
		return 0;
	table = calloc(1, L->table_size);
	if (!table)
		return -ENOMEM;
	(void)dlerror();
	h = dlopen(L->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		reason = dl_reason(L->soname, dlerror(), &absent);
		n = why ? asprintf(why, "%s %s: %s (it comes with %s)", L->soname,
				   absent ? "is not installed" : "cannot be loaded", reason, L->package) : 0;
		return n < 0 ? -ENOMEM : -EOPNOTSUPP;
	}
	for (size_t i = 0; i < L->n_syms; i++) {
		void *p;

		(void)dlerror();
		p = dlsym(h, L->syms[i].name);
		if (!p) {
			reason = dl_reason(L->soname, dlerror(), &absent);
			n = why ? asprintf(why, "%s lacks %s(), which homesetup was built to call (%s older than the "
					   "headers it was built with?): %s", L->soname, L->syms[i].name, L->package,
					   reason) : 0;
			dlclose(h);
			return n < 0 ? -ENOMEM : -EOPNOTSUPP;
		}
		/* POSIX: a function's address from dlsym() converts to a function pointer of its type. */
		memcpy(table + L->syms[i].offset, &p, sizeof(p));
	}
	/* The handle stays open for the life of the process: the table points into the library. */
	memcpy(L->table, table, L->table_size);
	__atomic_store_n(&L->loaded, true, __ATOMIC_RELEASE);
	return 0;
}

int hs_dl_open(hs_dl_lib lib, char **why)
{
	int r;

	if (why)
		*why = NULL;
	if ((unsigned)lib >= HS_DL__MAX)
		return -EINVAL;
	if (__atomic_load_n(&libs[lib].loaded, __ATOMIC_ACQUIRE))
		return 0;
	pthread_mutex_lock(&dl_lock);
	r = dl_load_locked(&libs[lib], why);
	pthread_mutex_unlock(&dl_lock);
	return r;
}

int hs_dl_load(hs_ctx *ctx, hs_dl_lib lib)
{
	_cleanup_free_ char *why = NULL;
	int r = hs_dl_open(lib, &why);

	if (r == -EOPNOTSUPP)
		return hs_ctx_set_error(ctx, r, "%s", why);
	return r;
}

void hs_dl_test_soname(hs_dl_lib lib, const char *soname)
{
	if ((unsigned)lib >= HS_DL__MAX)
		return;
	pthread_mutex_lock(&dl_lock);
	libs[lib].soname = soname ? soname : default_sonames[lib];
	libs[lib].loaded = false;
	memset(libs[lib].table, 0, libs[lib].table_size);
	pthread_mutex_unlock(&dl_lock);
}
