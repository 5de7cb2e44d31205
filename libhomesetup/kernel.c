/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The `kernel` checks: what LUKS homes need from the kernel and the tools homework runs.
 *
 * Which kernel: on the running system (ROOT "/") the running one (/proc/sys/kernel/osrelease); under another
 * ROOT (a chroot, a mounted image) the newest release in /lib/modules or /usr/lib/modules of that root, since
 * that is what will boot, and the report says so. Its configuration: /proc/config.gz (running system only,
 * gunzipped with zlib), else /boot/config-<release>, else /usr/src/linux/.config (noting when its
 * include/config/kernel.release is another release). An option is there when it is =y, or =m with the module
 * file present under /lib/modules/<release>/ (kernel/…/<name>.ko, .ko.xz, .ko.zst, .ko.gz, or wherever
 * modules.dep puts it). Without any configuration, modules.builtin and the module files decide; with neither,
 * the check is skipped with the reason. On the running system /proc/filesystems also counts for the file system.
 *
 * What is needed (Gentoo wiki "Systemd/homed", homework-luks.c): device mapper and dm-crypt (LUKS), loop devices
 * (the image is a file), the file system homed.conf picks (btrfs by default since systemd 247, ext4 before), and
 * its mkfs.<fs>. homework falls back to ext4 when mkfs for the *built-in* default is missing and nothing was
 * configured ("Formatting tool for compiled-in default file system %s not available, falling back to ext4
 * instead."), so that case is a warning.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "homesetupP.h"

const char *hs_kernel_test_proc; /* tests: act as the running system, reading /proc files from this directory */

/* ---- .config ------------------------------------------------------------------------------------------ */

void hs_kconfig_free(hs_kconfig *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++) {
		free(k->v[i].name);
		free(k->v[i].value);
	}
	free(k->v);
	*k = (hs_kconfig){0};
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const hs_kconfig_entry *)a)->name, ((const hs_kconfig_entry *)b)->name);
}

static bool sym_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int kconfig_add(hs_kconfig *k, const char *name, size_t nlen, const char *val, size_t vlen)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 256;
		hs_kconfig_entry *nv = realloc(k->v, cap * sizeof(*nv));

		if (!nv)
			return -ENOMEM;
		k->v = nv;
		k->cap = cap;
	}
	k->v[k->n].name = hs_strndup(name, nlen);
	k->v[k->n].value = hs_strndup(val, vlen);
	if (!k->v[k->n].name || !k->v[k->n].value) {
		free(k->v[k->n].name);
		free(k->v[k->n].value);
		return -ENOMEM;
	}
	k->n++;
	return 0;
}

int hs_kconfig_parse(hs_ctx *ctx, const char *buf, size_t len, hs_kconfig *out)
{
	int r = 0;

	*out = (hs_kconfig){0};
	for (size_t pos = 0; pos < len && r >= 0;) {
		const char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - s) : len - pos, e = 0;

		pos += n + (nl ? 1 : 0);
		if (n > 2 && s[0] == '#' && s[1] == ' ') {
			/* "# CONFIG_FOO is not set" */
			static const char tail[] = " is not set";
			size_t tl = sizeof(tail) - 1;

			s += 2;
			n -= 2;
			while (e < n && sym_char(s[e]))
				e++;
			if (e > 7 && memcmp(s, "CONFIG_", 7) == 0 && n - e == tl && memcmp(s + e, tail, tl) == 0)
				r = kconfig_add(out, s, e, "n", 1);
			continue;
		}
		while (e < n && sym_char(s[e]))
			e++;
		if (e <= 7 || memcmp(s, "CONFIG_", 7) != 0 || e >= n || s[e] != '=')
			continue;
		r = kconfig_add(out, s, e, s + e + 1, n - e - 1);
	}
	if (r < 0) {
		hs_kconfig_free(out);
		return hs_ctx_set_error(ctx, r, "kernel configuration: %s", strerror(-r));
	}
	qsort(out->v, out->n, sizeof(*out->v), kv_cmp);
	/* a later assignment of the same symbol wins: keep the last of equal names (qsort is not stable, so the
	 * file order is lost; duplicates do not occur in generated .config files) */
	return 0;
}

const char *hs_kconfig_get(const hs_kconfig *k, const char *name)
{
	size_t lo = 0, hi = k->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(k->v[mid].name, name);

		if (c == 0)
			return strcmp(k->v[mid].value, "n") == 0 ? NULL : k->v[mid].value;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* gunzip @in into a malloc'd buffer of at most @max bytes */
int hs_gunzip(hs_ctx *ctx, const char *what, const char *in, size_t len, size_t max, char **out, size_t *out_len)
{
	_cleanup_buf_ hs_buf b = {0};
	z_stream z = {0};
	int zr, r = 0;

	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return hs_ctx_set_error(ctx, -ENOMEM, "%s: cannot start zlib", what);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	do {
		if (b.len >= max) {
			r = hs_ctx_set_error(ctx, -EFBIG, "%s: more than %zu bytes once uncompressed", what, max);
			break;
		}
		r = hs_buf_reserve(&b, 65536);
		if (r < 0)
			break;
		z.next_out = (Bytef *)b.p + b.len;
		z.avail_out = 65536;
		zr = inflate(&z, Z_NO_FLUSH);
		b.len += 65536 - z.avail_out;
		if (zr == Z_STREAM_END)
			break;
		if (zr != Z_OK || (z.avail_in == 0 && z.avail_out != 0)) {
			r = hs_ctx_set_error(ctx, -EINVAL, "%s: not valid gzip data (%s)", what,
					     z.msg ? z.msg : zr == Z_OK || zr == Z_BUF_ERROR ? "truncated" : "error");
			break;
		}
	} while (true);
	inflateEnd(&z);
	if (r < 0)
		return r;
	if (hs_buf_putc(&b, '\0') < 0)
		return -ENOMEM;
	b.len--;
	*out_len = b.len;
	*out = hs_buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

/* ---- what we know about the kernel --------------------------------------------------------------------- */

typedef struct kfacts {
	bool live;
	char *release;
	const char *release_how;
	char *modules_dir;        /* /lib/modules/<release> (or /usr/lib/…) when it exists */
	hs_kconfig config;
	bool have_config;
	char *config_src;         /* where the configuration came from */
	char *config_note;        /* e.g. the .config of /usr/src/linux is for another release */
	char *builtin;            /* modules.builtin */
	char *moddep;             /* modules.dep */
	char *proc_fs;            /* /proc/filesystems (live) */
	char *why_unknown;        /* no configuration: what was looked at */
} kfacts;

static void kfacts_done(kfacts *K)
{
	free(K->release);
	free(K->modules_dir);
	hs_kconfig_free(&K->config);
	free(K->config_src);
	free(K->config_note);
	free(K->builtin);
	free(K->moddep);
	free(K->proc_fs);
	free(K->why_unknown);
}

/* a file of the running system's /proc (or the test directory) */
static int read_proc(const char *rel, size_t max, char **out, size_t *len)
{
	_cleanup_free_ char *p = NULL;
	_cleanup_(hs_ctx_freep) hs_ctx *host = NULL;
	int r;

	if (asprintf(&p, "%s/%s", hs_kernel_test_proc ? hs_kernel_test_proc : "/proc", rel) < 0)
		return -ENOMEM;
	r = hs_ctx_new(&host);
	if (r < 0)
		return r;
	return hs_root_read_file(host, HS_ROOT_SYS, p, max, out, len);
}

static void trim_end(char *s)
{
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/* the newest release directory in /lib/modules or /usr/lib/modules of the root */
static int newest_release(hs_ctx *ctx, char **out, char **dir_out)
{
	static const char *const dirs[] = { "/lib/modules", "/usr/lib/modules", NULL };

	*out = NULL;
	*dir_out = NULL;
	for (size_t i = 0; dirs[i]; i++) {
		struct dirent *de;
		DIR *d;
		int fd = hs_root_open(ctx, HS_ROOT_SYS, dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0)
			continue;
		d = fdopendir(fd);
		if (!d) {
			close(fd);
			continue;
		}
		while ((de = readdir(d))) {
			struct stat st;

			if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, 0) < 0 || !S_ISDIR(st.st_mode))
				continue;
			if (!*out || strverscmp(de->d_name, *out) > 0) {
				char *n = strdup(de->d_name), *p = NULL;

				if (!n || asprintf(&p, "%s/%s", dirs[i], de->d_name) < 0) {
					free(n);
					closedir(d);
					return -ENOMEM;
				}
				free(*out);
				free(*dir_out);
				*out = n;
				*dir_out = p;
			}
		}
		closedir(d);
	}
	hs_ctx_clear_error(ctx);
	return 0;
}

/* the newest /boot/config-* of the root (when no kernel is found in /lib/modules) */
static int newest_boot_config(hs_ctx *ctx, char **out)
{
	struct dirent *de;
	DIR *d;
	int fd = hs_root_open(ctx, HS_ROOT_SYS, "/boot", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	*out = NULL;
	hs_ctx_clear_error(ctx);
	if (fd < 0)
		return 0;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return 0;
	}
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "config-", 7) != 0 || !de->d_name[7])
			continue;
		if (!*out || strverscmp(de->d_name + 7, *out) > 0) {
			char *n = strdup(de->d_name + 7);

			if (!n) {
				closedir(d);
				return -ENOMEM;
			}
			free(*out);
			*out = n;
		}
	}
	closedir(d);
	return 0;
}

static int load_config_text(kfacts *K, hs_ctx *ctx, const char *src, const char *buf, size_t len)
{
	int r = hs_kconfig_parse(ctx, buf, len, &K->config);

	if (r < 0)
		return r;
	K->have_config = true;
	K->config_src = strdup(src);
	return K->config_src ? 0 : -ENOMEM;
}

static int kfacts_load(hs_ctx *ctx, kfacts *K)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	*K = (kfacts){ .live = hs_probe_live(ctx) || hs_kernel_test_proc };
	if (K->live) {
		r = read_proc("sys/kernel/osrelease", 4096, &K->release, NULL);
		if (r == -ENOMEM)
			return r;
		if (r == 0) {
			trim_end(K->release);
			K->release_how = "the running kernel";
			for (size_t i = 0; i < 2 && !K->modules_dir; i++) {
				_cleanup_free_ char *p = NULL;
				struct stat st;

				if (asprintf(&p, "%s/%s", i ? "/usr/lib/modules" : "/lib/modules", K->release) < 0)
					return -ENOMEM;
				if (hs_root_stat(ctx, HS_ROOT_SYS, p, &st) == 0 && S_ISDIR(st.st_mode))
					K->modules_dir = TAKE_PTR(p);
			}
		} else {
			K->release = NULL;
		}
		r = read_proc("filesystems", 1u << 20, &K->proc_fs, NULL);
		if (r == -ENOMEM)
			return r;
	}
	if (!K->release) {
		r = newest_release(ctx, &K->release, &K->modules_dir);
		if (r < 0)
			return r;
		if (K->release)
			K->release_how = K->live ? "the newest installed kernel (the running one is unknown)" :
				"the newest kernel installed in this root (not necessarily the one running)";
	}
	if (!K->release) {
		r = newest_boot_config(ctx, &K->release);
		if (r < 0)
			return r;
		if (K->release)
			K->release_how = "the newest /boot/config-* (no kernel modules are installed)";
	}

	/* the configuration */
	if (K->live) {
		_cleanup_free_ char *gz = NULL;
		size_t gzlen = 0;

		r = read_proc("config.gz", 16u << 20, &gz, &gzlen);
		if (r == -ENOMEM)
			return r;
		if (r == 0) {
			r = hs_gunzip(ctx, "/proc/config.gz", gz, gzlen, 64u << 20, &buf, &len);
			if (r == -ENOMEM)
				return r;
			if (r == 0)
				return load_config_text(K, ctx, "/proc/config.gz", buf, len);
		}
	}
	if (K->release) {
		_cleanup_free_ char *p = NULL;

		if (asprintf(&p, "/boot/config-%s", K->release) < 0)
			return -ENOMEM;
		r = hs_root_read_file(ctx, HS_ROOT_SYS, p, 16u << 20, &buf, &len);
		if (r == -ENOMEM)
			return r;
		if (r == 0)
			return load_config_text(K, ctx, p, buf, len);
	}
	r = hs_root_read_file(ctx, HS_ROOT_SYS, "/usr/src/linux/.config", 16u << 20, &buf, &len);
	if (r == -ENOMEM)
		return r;
	if (r == 0) {
		_cleanup_free_ char *rel = NULL;

		r = load_config_text(K, ctx, "/usr/src/linux/.config", buf, len);
		if (r < 0)
			return r;
		if (hs_root_read_file(ctx, HS_ROOT_SYS, "/usr/src/linux/include/config/kernel.release", 4096, &rel,
				      NULL) == 0) {
			trim_end(rel);
			if (K->release && strcmp(rel, K->release) != 0 &&
			    asprintf(&K->config_note, "/usr/src/linux is %s, not %s: its .config may differ from the "
				     "kernel checked", rel, K->release) < 0)
				return -ENOMEM;
		}
		return 0;
	}
	if (asprintf(&K->why_unknown, "no kernel configuration found (looked at %s/boot/config-%s and "
		     "/usr/src/linux/.config)", K->live ? "/proc/config.gz, " : "",
		     K->release ? K->release : "*") < 0)
		return -ENOMEM;
	hs_ctx_clear_error(ctx);
	return 0;
}

static int load_module_lists(hs_ctx *ctx, kfacts *K)
{
	static const char *const names[] = { "modules.builtin", "modules.dep" };

	for (size_t i = 0; K->modules_dir && i < 2; i++) {
		_cleanup_free_ char *p = NULL;
		char **dst = i ? &K->moddep : &K->builtin;
		int r;

		if (asprintf(&p, "%s/%s", K->modules_dir, names[i]) < 0)
			return -ENOMEM;
		r = hs_root_read_file(ctx, HS_ROOT_SYS, p, 32u << 20, dst, NULL);
		if (r == -ENOMEM)
			return r;
	}
	hs_ctx_clear_error(ctx);
	return 0;
}

/* Does a line of @list (modules.builtin, or the part before ':' of modules.dep) end in "/<name>.ko…"? */
static bool list_has(const char *list, const char *rel, const char *name, char **path_out)
{
	size_t nl = strlen(name);

	for (const char *s = list; s && *s;) {
		const char *e = strchr(s, '\n'), *colon;
		size_t n = e ? (size_t)(e - s) : strlen(s);

		colon = memchr(s, ':', n);
		if (colon)
			n = (size_t)(colon - s);
		if (rel && n >= strlen(rel) + 3 && memcmp(s, rel, strlen(rel)) == 0 && memcmp(s + strlen(rel), ".ko", 3) == 0) {
			if (path_out)
				*path_out = hs_strndup(s, n);
			return true;
		}
		for (size_t k = 0; !rel && k + nl + 3 <= n; k++)
			if ((k == 0 || s[k - 1] == '/') && memcmp(s + k, name, nl) == 0 &&
			    memcmp(s + k + nl, ".ko", 3) == 0) {
				if (path_out)
					*path_out = hs_strndup(s, n);
				return true;
			}
		s = e ? e + 1 : s + strlen(s);
	}
	return false;
}

typedef enum kstate {
	K_BUILTIN,
	K_MODULE,
	K_MODULE_MISSING,
	K_NO,
	K_UNKNOWN,
} kstate;

typedef struct ksym {
	const char *sym;          /* CONFIG_DM_CRYPT */
	const char *modpath;      /* kernel/drivers/md/dm-crypt (no .ko) */
	const char *modname;      /* dm-crypt */
	const char *menu;         /* where menuconfig has it */
} ksym;

/* Is @s present? *evidence gets one line saying how we know. */
static int probe(hs_ctx *ctx, const kfacts *K, const ksym *s, kstate *st, char **evidence)
{
	static const char *const exts[] = { ".ko", ".ko.xz", ".ko.zst", ".ko.gz" };
	_cleanup_free_ char *path = NULL;
	const char *v = K->have_config ? hs_kconfig_get(&K->config, s->sym) : NULL;
	bool file = false;

	*evidence = NULL;
	if (K->modules_dir) {
		for (size_t i = 0; i < ELEMENTSOF(exts) && !file; i++) {
			struct stat st2;

			free(path);
			if (asprintf(&path, "%s/%s%s", K->modules_dir, s->modpath, exts[i]) < 0)
				return -ENOMEM;
			file = hs_root_stat(ctx, HS_ROOT_SYS, path, &st2) == 0 && S_ISREG(st2.st_mode);
		}
		if (!file && K->moddep) {
			_cleanup_free_ char *rel = NULL;

			if (list_has(K->moddep, NULL, s->modname, &rel) && rel) {
				struct stat st2;

				free(path);
				if (asprintf(&path, "%s/%s", K->modules_dir, rel) < 0)
					return -ENOMEM;
				file = hs_root_stat(ctx, HS_ROOT_SYS, path, &st2) == 0 && S_ISREG(st2.st_mode);
			}
		}
		hs_ctx_clear_error(ctx);
	}
	if (K->have_config) {
		if (v && strcmp(v, "y") == 0) {
			*st = K_BUILTIN;
			return asprintf(evidence, "%s=y in %s", s->sym, K->config_src) < 0 ? -ENOMEM : 0;
		}
		if (v && strcmp(v, "m") == 0) {
			*st = file ? K_MODULE : K_MODULE_MISSING;
			if (file)
				return asprintf(evidence, "%s=m in %s; module %s", s->sym, K->config_src, path) < 0 ?
					-ENOMEM : 0;
			return asprintf(evidence, "%s=m in %s, but there is no %s module in %s", s->sym,
					K->config_src, s->modname, K->modules_dir ? K->modules_dir :
					"/lib/modules (no directory for this release)") < 0 ? -ENOMEM : 0;
		}
		*st = K_NO;
		return asprintf(evidence, "%s is not set in %s", s->sym, K->config_src) < 0 ? -ENOMEM : 0;
	}
	if (K->builtin && list_has(K->builtin, s->modpath, s->modname, NULL)) {
		*st = K_BUILTIN;
		return asprintf(evidence, "%s is built in (%s/modules.builtin)", s->modname, K->modules_dir) < 0 ?
			-ENOMEM : 0;
	}
	if (file) {
		*st = K_MODULE;
		return asprintf(evidence, "module %s", path) < 0 ? -ENOMEM : 0;
	}
	if (K->builtin) {
		*st = K_NO;
		return asprintf(evidence, "%s is neither in %s/modules.builtin nor a module there (and %s)", s->modname,
				K->modules_dir, K->why_unknown) < 0 ? -ENOMEM : 0;
	}
	*st = K_UNKNOWN;
	return asprintf(evidence, "%s; %s", K->why_unknown,
			K->modules_dir ? "and no modules.builtin in the modules directory" :
			K->release ? "and no modules directory for this release" : "and no kernel in /lib/modules") < 0 ?
		-ENOMEM : 0;
}

/* The kernel packages whose configuration has all of this (Gentoo's distribution kernels). */
static const char *dist_kernel(hs_checker *c)
{
	static const char *const pkgs[] = { "sys-kernel/gentoo-kernel-bin", "sys-kernel/gentoo-kernel", NULL };

	for (size_t i = 0; pkgs[i]; i++) {
		const hs_installed *p = NULL;

		if (hs_probe_installed(c, pkgs[i], &p) == 0 && p)
			return pkgs[i];
	}
	return NULL;
}

static int config_fix(hs_checker *c, const kfacts *K, const ksym *const *syms, size_t n, bool module_missing,
		      char **out)
{
	_cleanup_buf_ hs_buf b = {0};
	const char *dk = dist_kernel(c);
	int r = 0;

	if (module_missing) {
		r = hs_buf_printf(&b, "install the modules of %s: 'make modules_install' in its source tree%s%s%s",
				  K->release ? K->release : "the kernel", dk ? ", or emerge --ask --oneshot " : "",
				  dk ? dk : "", K->live ? "; or boot the kernel whose modules are installed" : "");
	} else {
		r = hs_buf_puts(&b, "enable ");
		for (size_t i = 0; i < n && r >= 0; i++)
			r = hs_buf_printf(&b, "%s%s (%s)", i ? " and " : "", syms[i]->sym, syms[i]->menu);
		if (r >= 0)
			r = hs_buf_printf(&b, " as built-in or module, then rebuild, install and boot the kernel: cd "
					  "/usr/src/linux && make menuconfig && make && make modules_install && make "
					  "install%s%s%s", dk ? "; the distribution kernel " : "", dk ? dk : "",
					  dk ? " has them enabled: boot it" : "");
	}
	if (r < 0)
		return r;
	*out = hs_buf_steal(&b);
	return *out ? 0 : -ENOMEM;
}

static const char *state_word(kstate st)
{
	switch (st) {
	case K_BUILTIN: return "built in";
	case K_MODULE: return "a module";
	case K_MODULE_MISSING: return "a module that is not installed";
	case K_NO: return "not enabled";
	case K_UNKNOWN: return "unknown";
	}
	return "?";
}

/* Report one check over @n symbols: all present → OK; otherwise the worst. @needed: does the configured storage
 * use it at all (else FAIL becomes WARN). */
static int report(hs_checker *c, const kfacts *K, const char *id, const char *what, const ksym *const *syms,
		  size_t n, bool needed, const char *storage, const char *extra_detail)
{
	hs_ctx *ctx = hs_checker_ctx(c);
	_cleanup_buf_ hs_buf detail = {0};
	const ksym *bad[8];
	kstate bad_st[8];
	size_t nbad = 0;
	kstate worst = K_BUILTIN;
	bool all_missing_modules = true;
	int r = 0;

	r = hs_buf_printf(&detail, "kernel %s (%s)", K->release ? K->release : "unknown",
			  K->release_how ? K->release_how : "no kernel found in /lib/modules");
	if (r >= 0 && K->config_note)
		r = hs_buf_printf(&detail, "\nnote: %s", K->config_note);
	for (size_t i = 0; i < n && r >= 0; i++) {
		_cleanup_free_ char *ev = NULL;
		kstate st;

		r = probe(ctx, K, syms[i], &st, &ev);
		if (r < 0)
			return r;
		r = hs_buf_printf(&detail, "\n%s: %s", syms[i]->sym, ev);
		if (st == K_BUILTIN || st == K_MODULE)
			continue;
		if (st != K_UNKNOWN && nbad < ELEMENTSOF(bad)) {
			all_missing_modules = all_missing_modules && st == K_MODULE_MISSING;
			bad_st[nbad] = st;
			bad[nbad++] = syms[i];
		}
		if (worst == K_BUILTIN || st == K_NO || (st == K_MODULE_MISSING && worst == K_UNKNOWN))
			worst = st;
	}
	if (r >= 0 && extra_detail)
		r = hs_buf_printf(&detail, "\n%s", extra_detail);
	if (r < 0)
		return r;
	if (worst == K_BUILTIN)
		return hs_checker_add(c, id, HS_CHECK_OK, NULL, detail.p, "%s: available in kernel %s", what,
				      K->release ? K->release : "(release unknown)");
	if (worst == K_UNKNOWN)
		return hs_checker_add(c, id, HS_CHECK_SKIP, NULL, detail.p, "%s: cannot tell (no kernel configuration "
				      "or module list found)", what);
	{
		_cleanup_free_ char *fix = NULL;

		r = config_fix(c, K, bad, nbad, all_missing_modules, &fix);
		if (r < 0)
			return r;
		return hs_checker_add(c, id, needed ? HS_CHECK_FAIL : HS_CHECK_WARN, fix, detail.p,
				      "%s: %s is %s in kernel %s%s%s%s", what, bad[0]->sym, state_word(bad_st[0]),
				      K->release ? K->release : "(release unknown)", needed ? "" : " (only needed for "
				      "--storage=luks; DefaultStorage=", needed ? "" : storage, needed ? "" : ")");
	}
}

static const ksym sym_dm = { "CONFIG_BLK_DEV_DM", "kernel/drivers/md/dm-mod", "dm-mod",
			     "Device Drivers → Multiple devices driver support (RAID and LVM) → Device mapper support" };
static const ksym sym_crypt = { "CONFIG_DM_CRYPT", "kernel/drivers/md/dm-crypt", "dm-crypt",
				"Device Drivers → Multiple devices driver support (RAID and LVM) → Crypt target support" };
static const ksym sym_loop = { "CONFIG_BLK_DEV_LOOP", "kernel/drivers/block/loop", "loop",
			       "Device Drivers → Block devices → Loopback device support" };
static const ksym sym_fs[] = {
	{ "CONFIG_BTRFS_FS", "kernel/fs/btrfs/btrfs", "btrfs", "File systems → Btrfs filesystem support" },
	{ "CONFIG_EXT4_FS", "kernel/fs/ext4/ext4", "ext4", "File systems → The Extended 4 (ext4) filesystem" },
	{ "CONFIG_XFS_FS", "kernel/fs/xfs/xfs", "xfs", "File systems → XFS filesystem support" },
};
static const struct {
	const char *fs, *mkfs, *pkg;
} mkfs_tools[] = {
	{ "btrfs", "mkfs.btrfs", "sys-fs/btrfs-progs" },
	{ "ext4", "mkfs.ext4", "sys-fs/e2fsprogs" },
	{ "xfs", "mkfs.xfs", "sys-fs/xfsprogs" },
};

static bool proc_fs_has(const char *list, const char *fs)
{
	size_t n = strlen(fs);

	for (const char *s = list; s && *s;) {
		const char *e = strchr(s, '\n');
		size_t len = e ? (size_t)(e - s) : strlen(s);

		/* "nodev\tsysfs" or "\tbtrfs" */
		if (len >= n && memcmp(s + len - n, fs, n) == 0 && (len == n || isspace((unsigned char)s[len - n - 1])))
			return true;
		s = e ? e + 1 : s + len;
	}
	return false;
}

static int check_mkfs(hs_checker *c, const char *fs, bool configured, bool needed, const char *storage)
{
	static const char *const dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin", NULL };
	hs_ctx *ctx = hs_checker_ctx(c);
	_cleanup_free_ char *found = NULL, *fallback = NULL, *fix = NULL;
	size_t k = 0;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(mkfs_tools); i++)
		if (strcmp(mkfs_tools[i].fs, fs) == 0)
			k = i;
	r = hs_probe_find_file(ctx, dirs, mkfs_tools[k].mkfs, &found);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return hs_checker_add(c, "kernel.mkfs", HS_CHECK_SKIP, NULL, hs_ctx_last_error(ctx),
				      "cannot look for %s", mkfs_tools[k].mkfs);
	if (r > 0)
		return hs_checker_add(c, "kernel.mkfs", HS_CHECK_OK, NULL, NULL, "%s is installed: %s",
				      mkfs_tools[k].mkfs, found);
	if (asprintf(&fix, "emerge --ask %s", mkfs_tools[k].pkg) < 0)
		return -ENOMEM;
	if (!needed)
		return hs_checker_add(c, "kernel.mkfs", HS_CHECK_WARN, fix, "looked in /usr/sbin, /sbin, /usr/bin, /bin",
				      "%s is not installed (only needed for --storage=luks; DefaultStorage=%s)",
				      mkfs_tools[k].mkfs, storage);
	if (!configured && strcmp(fs, "ext4") != 0) {
		r = hs_probe_find_file(ctx, dirs, "mkfs.ext4", &fallback);
		if (r == -ENOMEM)
			return r;
		if (r > 0)
			return hs_checker_add(c, "kernel.mkfs", HS_CHECK_WARN, fix, "homework: \"Formatting tool for "
					      "compiled-in default file system %s not available, falling back to ext4 "
					      "instead.\"", "%s is not installed: homed will fall back to ext4 (%s)",
					      mkfs_tools[k].mkfs, fallback);
	}
	return hs_checker_add(c, "kernel.mkfs", HS_CHECK_FAIL, fix, "looked in /usr/sbin, /sbin, /usr/bin, /bin",
			      "%s is not installed: homectl create fails (\"mkfs binary for file system type %s does "
			      "not exist.\")", mkfs_tools[k].mkfs, fs);
}

int hs_check_group_kernel(hs_checker *c)
{
	hs_ctx *ctx = hs_checker_ctx(c);
	const hs_homed_conf *conf = NULL;
	const char *fs, *dflt_fs, *dflt_why, *storage;
	bool luks, fs_configured;
	kfacts K;
	int r;

	r = hs_homed_conf_get(c, &conf);
	if (r == -ENOMEM)
		return r;
	r = hs_homed_default_fstype(c, &dflt_fs, &dflt_why);
	if (r < 0)
		return r;
	storage = hs_homed_conf_storage(conf);
	luks = strcmp(storage, "luks") == 0;
	fs_configured = conf && conf->fstype;
	fs = fs_configured ? conf->fstype : dflt_fs;

	r = kfacts_load(ctx, &K);
	if (r >= 0)
		r = load_module_lists(ctx, &K);
	if (r < 0)
		goto out;
	if (hs_checker_wants(c, "kernel.dm-crypt")) {
		const ksym *syms[] = { &sym_dm, &sym_crypt };
		_cleanup_free_ char *xts = NULL;

		if (K.have_config && !hs_kconfig_get(&K.config, "CONFIG_CRYPTO_XTS") &&
		    asprintf(&xts, "note: CONFIG_CRYPTO_XTS is not set in %s; homed's default cipher aes-xts-plain64 "
			     "needs it (Cryptographic API → XTS support)", K.config_src) < 0) {
			r = -ENOMEM;
			goto out;
		}
		r = report(c, &K, "kernel.dm-crypt", "device mapper and dm-crypt", syms, 2, luks, storage, xts);
		if (r < 0)
			goto out;
	}
	if (hs_checker_wants(c, "kernel.loop")) {
		const ksym *syms[] = { &sym_loop };

		r = report(c, &K, "kernel.loop", "loop devices", syms, 1, luks, storage, NULL);
		if (r < 0)
			goto out;
	}
	if (hs_checker_wants(c, "kernel.fs")) {
		const ksym *syms[1] = { &sym_fs[0] };
		_cleanup_free_ char *what = NULL;

		for (size_t i = 0; i < ELEMENTSOF(sym_fs); i++)
			if (strcmp(sym_fs[i].modname, fs) == 0)
				syms[0] = &sym_fs[i];
		if (asprintf(&what, "%s (DefaultFileSystemType%s%s)", fs, fs_configured ? "=" : ": ",
			     fs_configured ? fs : dflt_why) < 0) {
			r = -ENOMEM;
			goto out;
		}
		if (K.live && K.proc_fs && proc_fs_has(K.proc_fs, fs))
			r = hs_checker_add(c, "kernel.fs", HS_CHECK_OK, NULL, "listed in /proc/filesystems",
					   "%s: registered in the running kernel%s%s", what, K.release ? " " : "",
					   K.release ? K.release : "");
		else
			r = report(c, &K, "kernel.fs", what, syms, 1, luks, storage, NULL);
		if (r < 0)
			goto out;
	}
	if (hs_checker_wants(c, "kernel.mkfs"))
		r = check_mkfs(c, fs, fs_configured, luks, storage);
out:
	kfacts_done(&K);
	return r;
}
