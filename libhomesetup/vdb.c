/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The installed-package database, ${ROOT}/var/db/pkg/<category>/<PF>/, read the way Portage's vardbapi does:
 * one value per file (whitespace-normalised), the consolidated `metadata` file of Portage >= 3.0.82 when the
 * single files are gone, and CONTENTS in the real line format (dblink.getcontents).
 */
#include "homesetupP.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define VDB_PATH "/var/db/pkg"
#define VDB_VALUE_MAX ((size_t)4 << 20)      /* one value file (USE, IUSE …) or `metadata` */
#define CONTENTS_MAX ((size_t)256 << 20)     /* CONTENTS of the largest packages is a few MB */
#define CONTENTS_WARNINGS_MAX 20u            /* per file; the rest are counted */

struct hs_installed {
	char *cpv, *category, *package, *path;
	hs_version *version;
	char *slot, *subslot, *repo, *eapi, *iuse, *pkguse, *keywords;
	hs_useset *use;
	hs_useset *iuse_effective; /* NULL when not recorded */

	/* CONTENTS, read on demand */
	bool contents_read;
	hs_contents_entry *contents;
	size_t n_contents;
	char *contents_storage;
	size_t *contents_sorted; /* entry indices sorted by path (file order among equal paths) */
};

/* Python's str.isspace() over ASCII, which is what split() and \s use on these files. */
static bool py_isspace(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
}

/* " ".join(v.split()); a NUL counts as a separator (a C string cannot carry it). */
static char *normalise_ws(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len;) {
		size_t j;

		while (i < len && (py_isspace((unsigned char)s[i]) || s[i] == '\0'))
			i++;
		j = i;
		while (j < len && !py_isspace((unsigned char)s[j]) && s[j] != '\0')
			j++;
		if (j > i) {
			if (o != out)
				*o++ = ' ';
			memcpy(o, s + i, j - i);
			o += j - i;
		}
		i = j;
	}
	*o = '\0';
	return out;
}

/* ================================================================================================== */
/* Value files and the consolidated `metadata` file                                                   */
/* ================================================================================================== */
/* _METADATA_FILE_FIELDS of Portage: the keys the `metadata` file can stand in for. */
static const char *const metadata_fields[] = {
	"BDEPEND", "BUILD_ID", "BUILD_TIME", "CHOST", "COUNTER", "DEFINED_PHASES", "DEPEND", "DESCRIPTION", "EAPI",
	"HOMEPAGE", "IDEPEND", "IUSE", "KEYWORDS", "LICENSE", "PDEPEND", "PROPERTIES", "PROVIDES", "RDEPEND",
	"REQUIRES", "RESTRICT", "SLOT", "USE", "repository",
};

typedef struct vdb_reader {
	hs_ctx *ctx;
	const char *dir;  /* /var/db/pkg/cat/pf */
	bool meta_tried;
	hs_vars *meta;    /* NULL: no valid metadata file */
} vdb_reader;

/* Parse `metadata`: "#format=1", sorted KEY=value lines, last "#dir_mtime=<ns>" that must equal the directory's
 * st_mtim. Anything else: a warning, and the file is not used. */
static int vdb_load_metadata(vdb_reader *rd)
{
	_cleanup_free_ char *path = NULL, *buf = NULL;
	_cleanup_(hs_vars_freep) hs_vars *meta = NULL;
	const char *why = NULL;
	bool have_mtime = false;
	unsigned long long dir_mtime = 0;
	unsigned lineno = 0;
	size_t len = 0;
	struct stat st;
	int r;

	rd->meta_tried = true;
	if (asprintf(&path, "%s/metadata", rd->dir) < 0)
		return -ENOMEM;
	r = hs_root_read_file(rd->ctx, HS_ROOT_SYS, path, VDB_VALUE_MAX, &buf, &len);
	if (r == -ENOENT || r == -EISDIR)
		return 0;
	if (r < 0)
		return r;
	r = hs_vars_new(&meta);
	if (r < 0)
		return r;
	for (size_t pos = 0; pos < len && !why;) {
		const char *line = buf + pos, *nl = memchr(line, '\n', len - pos), *eq;
		size_t n = nl ? (size_t)(nl - line) : len - pos;

		pos += n + (nl ? 1 : 0);
		lineno++;
		if (lineno == 1) {
			if (n != 9 || memcmp(line, "#format=1", 9) != 0)
				why = "its first line is not '#format=1'";
			continue;
		}
		if (n == 0)
			continue;
		if (have_mtime) {
			why = "'#dir_mtime=' is not its last line";
			break;
		}
		if (n > 11 && memcmp(line, "#dir_mtime=", 11) == 0) {
			char *end;
			_cleanup_free_ char *num = hs_strndup(line + 11, n - 11);

			if (!num)
				return -ENOMEM;
			errno = 0;
			dir_mtime = strtoull(num, &end, 10);
			if (errno || *end || num[0] < '0' || num[0] > '9')
				why = "its '#dir_mtime=' value is not a number";
			have_mtime = true;
			continue;
		}
		if (line[0] == '#')
			continue;
		eq = memchr(line, '=', n);
		if (!eq || eq == line) {
			why = "a line is not KEY=value";
			break;
		}
		{
			_cleanup_free_ char *key = hs_strndup(line, (size_t)(eq - line));
			_cleanup_free_ char *val = normalise_ws(eq + 1, n - (size_t)(eq - line) - 1);

			if (!key || !val)
				return -ENOMEM;
			r = hs_vars_set(meta, key, val, path, lineno);
			if (r < 0)
				return r;
		}
	}
	if (!why && lineno == 0)
		why = "it is empty";
	if (!why && !have_mtime)
		why = "it has no '#dir_mtime=' line";
	if (!why) {
		r = hs_root_stat(rd->ctx, HS_ROOT_SYS, rd->dir, &st);
		if (r < 0)
			return r;
		if ((unsigned long long)st.st_mtim.tv_sec * 1000000000ULL + (unsigned long long)st.st_mtim.tv_nsec !=
		    dir_mtime) {
			r = hs_ctx_add_warning(rd->ctx, "%s: stale (#dir_mtime=%llu, but the directory's mtime is %llu); "
					       "not used", path, dir_mtime,
					       (unsigned long long)st.st_mtim.tv_sec * 1000000000ULL +
						       (unsigned long long)st.st_mtim.tv_nsec);
			return r < 0 ? r : 0;
		}
	}
	if (why) {
		r = hs_ctx_add_warning(rd->ctx, "%s: not a valid VDB metadata file (%s); not used", path, why);
		return r < 0 ? r : 0;
	}
	rd->meta = TAKE_PTR(meta);
	return 0;
}

static bool is_metadata_field(const char *key)
{
	for (size_t i = 0; i < ELEMENTSOF(metadata_fields); i++)
		if (strcmp(metadata_fields[i], key) == 0)
			return true;
	return false;
}

/* The whitespace-normalised value of @key: its own file, else (for the fields it holds) the metadata file.
 * *out is NULL when neither has it. */
static int vdb_value(vdb_reader *rd, const char *key, char **out)
{
	_cleanup_free_ char *path = NULL, *buf = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if (asprintf(&path, "%s/%s", rd->dir, key) < 0)
		return -ENOMEM;
	r = hs_root_read_file(rd->ctx, HS_ROOT_SYS, path, VDB_VALUE_MAX, &buf, &len);
	if (r >= 0) {
		*out = normalise_ws(buf, len);
		return *out ? 0 : -ENOMEM;
	}
	if (r == -EISDIR || r == -EINVAL || r == -ENOTDIR || r == -EFBIG) {
		/* not a value file (a directory, a fifo, absurdly large): say so and treat it as absent */
		r = hs_ctx_add_warning(rd->ctx, "%s; ignored", hs_ctx_last_error(rd->ctx));
		return r < 0 ? r : 0;
	}
	if (r != -ENOENT)
		return r;
	if (!is_metadata_field(key))
		return 0;
	if (!rd->meta_tried) {
		r = vdb_load_metadata(rd);
		if (r < 0)
			return r;
	}
	if (rd->meta) {
		const char *v = hs_vars_get(rd->meta, key);

		if (v && !(*out = strdup(v)))
			return -ENOMEM;
	}
	return 0;
}

/* ================================================================================================== */
/* Packages                                                                                             */
/* ================================================================================================== */
static void contents_drop(hs_installed *pkg)
{
	free(pkg->contents);
	free(pkg->contents_storage);
	free(pkg->contents_sorted);
	pkg->contents = NULL;
	pkg->contents_storage = NULL;
	pkg->contents_sorted = NULL;
	pkg->n_contents = 0;
	pkg->contents_read = false;
}

void hs_installed_free(hs_installed *pkg)
{
	if (!pkg)
		return;
	free(pkg->cpv);
	free(pkg->category);
	free(pkg->package);
	free(pkg->path);
	hs_version_free(pkg->version);
	free(pkg->slot);
	free(pkg->subslot);
	free(pkg->repo);
	free(pkg->eapi);
	free(pkg->iuse);
	free(pkg->pkguse);
	free(pkg->keywords);
	hs_useset_free(pkg->use);
	hs_useset_free(pkg->iuse_effective);
	contents_drop(pkg);
	free(pkg);
}

void hs_installed_list_free(hs_installed **list, size_t n)
{
	for (size_t i = 0; list && i < n; i++)
		hs_installed_free(list[i]);
	free(list);
}
DEFINE_CLEANUP_FUNC(hs_installed, hs_installed_free);

static char *strdup_or_empty(char *s)
{
	return s ? s : strdup("");
}

/* Read one package directory. @version is taken over. */
static int vdb_load(hs_ctx *ctx, const char *category, const char *pf, size_t pnlen, hs_version *version,
		    hs_installed **out)
{
	_cleanup_(hs_installed_freep) hs_installed *pkg = calloc(1, sizeof(*pkg));
	_cleanup_free_ char *use = NULL, *iuse_eff = NULL, *slot = NULL;
	vdb_reader rd = {.ctx = ctx};
	int r;

	if (!pkg) {
		hs_version_free(version);
		return -ENOMEM;
	}
	pkg->version = version;
	pkg->category = strdup(category);
	pkg->package = hs_strndup(pf, pnlen);
	if (asprintf(&pkg->cpv, "%s/%s", category, pf) < 0)
		pkg->cpv = NULL;
	if (asprintf(&pkg->path, VDB_PATH "/%s/%s", category, pf) < 0)
		pkg->path = NULL;
	if (!pkg->category || !pkg->package || !pkg->cpv || !pkg->path) {
		r = -ENOMEM;
		goto out;
	}
	rd.dir = pkg->path;

	if ((r = vdb_value(&rd, "SLOT", &slot)) < 0 || (r = vdb_value(&rd, "repository", &pkg->repo)) < 0 ||
	    (r = vdb_value(&rd, "EAPI", &pkg->eapi)) < 0 || (r = vdb_value(&rd, "IUSE", &pkg->iuse)) < 0 ||
	    (r = vdb_value(&rd, "PKGUSE", &pkg->pkguse)) < 0 || (r = vdb_value(&rd, "KEYWORDS", &pkg->keywords)) < 0 ||
	    (r = vdb_value(&rd, "USE", &use)) < 0 || (r = vdb_value(&rd, "IUSE_EFFECTIVE", &iuse_eff)) < 0)
		goto out;

	/* SLOT "0/2": slot and sub-slot; none → "0" (Portage's default) */
	if (!slot || !*slot) {
		free(slot);
		slot = strdup("0");
		if (!slot) {
			r = -ENOMEM;
			goto out;
		}
	}
	{
		char *sep = strchr(slot, '/');

		pkg->slot = sep ? hs_strndup(slot, (size_t)(sep - slot)) : strdup(slot);
		pkg->subslot = strdup(sep && sep[1] ? sep + 1 : pkg->slot ? pkg->slot : "0");
	}
	if (pkg->eapi && !*pkg->eapi) {
		free(pkg->eapi);
		pkg->eapi = NULL;
	}
	if (!pkg->eapi)
		pkg->eapi = strdup("0");
	pkg->repo = strdup_or_empty(pkg->repo);
	pkg->iuse = strdup_or_empty(pkg->iuse);
	pkg->pkguse = strdup_or_empty(pkg->pkguse);
	pkg->keywords = strdup_or_empty(pkg->keywords);
	if (!pkg->slot || !pkg->subslot || !pkg->eapi || !pkg->repo || !pkg->iuse || !pkg->pkguse ||
	    !pkg->keywords || hs_useset_new(&pkg->use) < 0) {
		r = -ENOMEM;
		goto out;
	}
	if (use && (r = hs_useset_add_list(pkg->use, use, strlen(use))) < 0)
		goto out;
	if (iuse_eff) {
		r = hs_useset_new(&pkg->iuse_effective);
		if (r >= 0)
			r = hs_useset_add_list(pkg->iuse_effective, iuse_eff, strlen(iuse_eff));
		if (r < 0)
			goto out;
	}
	*out = TAKE_PTR(pkg);
	r = 0;
out:
	hs_vars_free(rd.meta);
	return r;
}

/* vardbapi._excluded_dirs: ^(\..*|-MERGING-.*|CVS|lost\+found)$ */
static bool vdb_excluded(const char *name)
{
	return name[0] == '.' || strncmp(name, "-MERGING-", 9) == 0 || strcmp(name, "CVS") == 0 ||
	       strcmp(name, "lost+found") == 0;
}

static bool is_word_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

/* dbapi._category_re: ^\w[-.+\w]*$ */
static bool category_valid(const char *s)
{
	if (!is_word_char((unsigned char)s[0]))
		return false;
	for (s++; *s; s++)
		if (!is_word_char((unsigned char)*s) && *s != '-' && *s != '.' && *s != '+')
			return false;
	return true;
}

/* pkgsplit: the shortest package name [\w][\w+-]* followed by '-' and a valid version. */
static bool split_pf(const char *pf, size_t *pnlen, hs_version **version)
{
	size_t len = strlen(pf);

	if (!is_word_char((unsigned char)pf[0]))
		return false;
	for (size_t i = 1; i + 1 < len; i++) {
		unsigned char c = (unsigned char)pf[i];

		if (c == '-' && hs_version_parse(NULL, version, pf + i + 1, len - i - 1) >= 0) {
			*pnlen = i;
			return true;
		}
		if (!is_word_char(c) && c != '+' && c != '-')
			return false;
	}
	return false;
}

/* The names of the directories in @path (under ROOT), in readdir order; a missing directory gives none. */
static int list_dirs(hs_ctx *ctx, const char *path, char ***out)
{
	_cleanup_(hs_strv_freep) char **names = calloc(1, sizeof(char *));
	struct dirent *de;
	DIR *dir;
	int fd, r = 0;

	if (!names)
		return -ENOMEM;
	fd = hs_root_open(ctx, HS_ROOT_SYS, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -ENOENT || fd == -ENOTDIR) {
		*out = TAKE_PTR(names);
		return 0;
	}
	if (fd < 0)
		return fd;
	dir = fdopendir(fd);
	if (!dir) {
		r = -errno;
		close(fd);
		return hs_ctx_set_error(ctx, r, "%s: %s", path, strerror(-r));
	}
	while ((errno = 0, de = readdir(dir))) {
		if (vdb_excluded(de->d_name))
			continue;
		if (de->d_type != DT_DIR) {
			_cleanup_free_ char *sub = NULL;
			struct stat st;

			/* listdir(dirsonly=1) follows symlinks */
			if (de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
				continue;
			if (asprintf(&sub, "%s/%s", path, de->d_name) < 0) {
				r = -ENOMEM;
				break;
			}
			if (hs_root_stat(ctx, HS_ROOT_SYS, sub, &st) < 0 || !S_ISDIR(st.st_mode))
				continue;
		}
		r = hs_strv_push(&names, de->d_name, strlen(de->d_name));
		if (r < 0)
			break;
	}
	if (r == 0 && errno) {
		r = -errno;
		hs_ctx_set_error(ctx, r, "%s: %s", path, strerror(-r));
	}
	closedir(dir);
	if (r < 0)
		return r;
	*out = TAKE_PTR(names);
	return 0;
}

static int installed_cmp(const void *a, const void *b)
{
	const hs_installed *x = *(hs_installed *const *)a, *y = *(hs_installed *const *)b;
	int c = strcmp(x->category, y->category);

	if (!c)
		c = strcmp(x->package, y->package);
	if (!c)
		c = hs_version_compare(x->version, y->version);
	if (!c)
		c = strcmp(x->cpv, y->cpv);
	return c;
}

/* IUSE names without +/- defaults, for USE deps of packages without IUSE_EFFECTIVE (EAPI < 5). */
static int iuse_names(const char *iuse, hs_useset **out)
{
	_cleanup_(hs_useset_freep) hs_useset *set = NULL;
	int r = hs_useset_new(&set);

	for (const char *p = iuse; r >= 0 && *p;) {
		size_t n;

		while (*p == ' ')
			p++;
		if (*p == '+' || *p == '-')
			p++;
		n = strcspn(p, " ");
		if (n)
			r = hs_useset_add(set, p, n);
		p += n;
	}
	if (r < 0)
		return r;
	*out = TAKE_PTR(set);
	return 0;
}

static int installed_matches(const hs_installed *pkg, const hs_atom *atom)
{
	_cleanup_(hs_useset_freep) hs_useset *iuse = NULL;
	hs_pkg_info info = {
		.category = pkg->category,
		.package = pkg->package,
		.version = pkg->version,
		.slot = pkg->slot,
		.subslot = pkg->subslot,
		.repo = *pkg->repo ? pkg->repo : NULL,
		.use = pkg->use,
		.iuse = pkg->iuse_effective,
	};

	if (!info.iuse && hs_atom_usedep_count(atom) > 0) {
		int r = iuse_names(pkg->iuse, &iuse);

		if (r < 0)
			return r;
		info.iuse = iuse;
	}
	return hs_atom_match(atom, &info);
}

int hs_vdb_find(hs_ctx *ctx, hs_installed ***out, size_t *n_out, const hs_atom *atom)
{
	_cleanup_(hs_strv_freep) char **cats = NULL;
	const char *want_cat = NULL, *want_pkg = NULL;
	hs_installed **v = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	*out = NULL;
	*n_out = 0;
	if (atom) {
		want_cat = hs_atom_category(atom);
		want_pkg = hs_atom_package(atom);
		if (strchr(want_cat, '*'))
			want_cat = NULL;
		if (strchr(want_pkg, '*'))
			want_pkg = NULL;
	}
	if (want_cat) {
		if (!category_valid(want_cat) || vdb_excluded(want_cat))
			goto done;
		r = hs_strv_push(&cats, want_cat, strlen(want_cat));
	} else {
		r = list_dirs(ctx, VDB_PATH, &cats);
	}
	if (r < 0)
		goto fail;

	for (size_t c = 0; cats && cats[c]; c++) {
		_cleanup_(hs_strv_freep) char **pfs = NULL;
		_cleanup_free_ char *catdir = NULL;

		if (!category_valid(cats[c]))
			continue;
		if (asprintf(&catdir, VDB_PATH "/%s", cats[c]) < 0) {
			r = -ENOMEM;
			goto fail;
		}
		r = list_dirs(ctx, catdir, &pfs);
		if (r < 0)
			goto fail;
		for (size_t i = 0; pfs[i]; i++) {
			const char *pf = pfs[i];
			hs_version *version = NULL;
			hs_installed *pkg = NULL;
			size_t pnlen = 0;

			if (want_pkg && (strncmp(pf, want_pkg, strlen(want_pkg)) != 0 || pf[strlen(want_pkg)] != '-'))
				continue;
			if (!split_pf(pf, &pnlen, &version)) {
				r = hs_ctx_add_warning(ctx, "!!! Invalid db entry: %s/%s", catdir, pf);
				if (r < 0)
					goto fail;
				continue;
			}
			if (want_pkg && (strlen(want_pkg) != pnlen || strncmp(pf, want_pkg, pnlen) != 0)) {
				hs_version_free(version);
				continue;
			}
			r = vdb_load(ctx, cats[c], pf, pnlen, version, &pkg);
			if (r < 0)
				goto fail;
			if (atom) {
				r = installed_matches(pkg, atom);
				if (r <= 0) {
					hs_installed_free(pkg);
					if (r < 0)
						goto fail;
					continue;
				}
			}
			if (n == cap) {
				size_t nc = cap ? cap * 2 : 16;
				hs_installed **nv = realloc(v, nc * sizeof(*nv));

				if (!nv) {
					hs_installed_free(pkg);
					r = -ENOMEM;
					goto fail;
				}
				v = nv;
				cap = nc;
			}
			v[n++] = pkg;
		}
	}
done:
	if (n)
		qsort(v, n, sizeof(*v), installed_cmp);
	*out = v ? v : calloc(1, sizeof(*v));
	if (!*out)
		return -ENOMEM;
	*n_out = n;
	return 0;
fail:
	hs_installed_list_free(v, n);
	return r;
}

const char *hs_installed_cpv(const hs_installed *pkg) { return pkg->cpv; }
const char *hs_installed_category(const hs_installed *pkg) { return pkg->category; }
const char *hs_installed_package(const hs_installed *pkg) { return pkg->package; }
const hs_version *hs_installed_version(const hs_installed *pkg) { return pkg->version; }
const char *hs_installed_slot(const hs_installed *pkg) { return pkg->slot; }
const char *hs_installed_subslot(const hs_installed *pkg) { return pkg->subslot; }
const char *hs_installed_repo(const hs_installed *pkg) { return pkg->repo; }
const char *hs_installed_eapi(const hs_installed *pkg) { return pkg->eapi; }
const hs_useset *hs_installed_use(const hs_installed *pkg) { return pkg->use; }
const char *hs_installed_iuse(const hs_installed *pkg) { return pkg->iuse; }
const hs_useset *hs_installed_iuse_effective(const hs_installed *pkg) { return pkg->iuse_effective; }
const char *hs_installed_pkguse(const hs_installed *pkg) { return pkg->pkguse; }
const char *hs_installed_keywords(const hs_installed *pkg) { return pkg->keywords; }
const char *hs_installed_path(const hs_installed *pkg) { return pkg->path; }

/* ================================================================================================== */
/* CONTENTS (dblink._contents_re and getcontents)                                                      */
/* ================================================================================================== */
static bool all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int64_t parse_mtime(const char *s, size_t n)
{
	int64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		int d = s[i] - '0';

		if (v > (INT64_MAX - d) / 10)
			return INT64_MAX; /* Python's int has no limit; saturate */
		v = v * 10 + d;
	}
	return v;
}

/* Last occurrence of @needle (length nn) that ends at or before s + n. */
static const char *memrmem(const char *s, size_t n, const char *needle, size_t nn)
{
	if (n < nn)
		return NULL;
	for (size_t i = n - nn + 1; i-- > 0;)
		if (memcmp(s + i, needle, nn) == 0)
			return s + i;
	return NULL;
}

/* The old symlink format (bug #351814): a stat tuple "(\d+, \d+L, \d+L, \d+, \d+, \d+, \d+L, \d+, (\d+), \d+)"
 * at the end of @s; returns where the tuple starts, and the 9th field (the mtime). */
static const char *match_oldsym(const char *s, size_t n, const char **mt, size_t *mtn)
{
	static const char shape[] = "d,dL,dL,d,d,d,dL,d,d,d";
	const char *open = NULL, *p;
	unsigned number = 0;

	if (n < 2 || s[n - 1] != ')')
		return NULL;
	for (size_t i = n; i-- > 0;)
		if (s[i] == '(') {
			open = s + i;
			break;
		}
	if (!open)
		return NULL;
	p = open + 1;
	for (const char *f = shape; *f; f++) {
		if (*f == 'd') {
			const char *start = p;

			while (p < s + n && *p >= '0' && *p <= '9')
				p++;
			if (p == start)
				return NULL;
			if (++number == 9) {
				*mt = start;
				*mtn = (size_t)(p - start);
			}
		} else if (*f == 'L') {
			if (p >= s + n || *p++ != 'L')
				return NULL;
		} else { /* ',' then one space */
			if (p + 1 >= s + n || p[0] != ',' || p[1] != ' ')
				return NULL;
			p += 2;
		}
	}
	return p == s + n - 1 ? open : NULL;
}

/* Portage's _normalize_needed: "//", a relative path, a trailing "/", "." or ".." components. */
static bool path_needs_normalising(const char *p, size_t n)
{
	if (n == 0 || p[0] != '/' || (n >= 2 && p[n - 1] == '/'))
		return true;
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '/' && i + 1 < n && p[i + 1] == '/')
			return true;
		if (p[i] == '.' && (i == 0 || p[i - 1] == '/')) {
			size_t j = i + 1;

			if (j < n && p[j] == '.')
				j++;
			if (j == n || p[j] == '/')
				return true;
		}
	}
	return false;
}

/* Portage's normalize_path() (posixpath.normpath) plus the leading "/" getcontents() adds to a relative
 * result; writes to @o and returns the length, at most n + 1 bytes. */
static size_t normalise_path_into(const char *p, size_t n, char *o)
{
	bool absolute = n > 0 && p[0] == '/';
	size_t len = 0;
	size_t ncomp = 0; /* components written that are not ".." */

	/* posixpath.normpath; Portage then prefixes "/" to a relative result */
	o[len++] = '/';
	for (size_t i = 0; i < n;) {
		size_t j = i;

		while (j < n && p[j] != '/')
			j++;
		if (j == i || (j - i == 1 && p[i] == '.')) {
			/* empty or "." */
		} else if (j - i == 2 && p[i] == '.' && p[i + 1] == '.' && (absolute || ncomp > 0)) {
			if (ncomp > 0) {
				/* drop the last component */
				while (len > 1 && o[len - 1] != '/')
					len--;
				if (len > 1)
					len--;
				ncomp--;
			}
		} else {
			if (len > 1)
				o[len++] = '/';
			memcpy(o + len, p + i, j - i);
			len += j - i;
			if (!(j - i == 2 && p[i] == '.' && p[i + 1] == '.'))
				ncomp++;
		}
		i = j + 1;
	}
	if (len == 1 && !absolute)
		o[len++] = '.'; /* normpath("") == "." */
	return len;
}

typedef struct contents_builder {
	char *store;
	size_t used;
} contents_builder;

static const char *store_str(contents_builder *b, const char *s, size_t n)
{
	char *p = b->store + b->used;

	memcpy(p, s, n);
	p[n] = '\0';
	b->used += n + 1;
	return p;
}

static const char *store_path(contents_builder *b, const char *s, size_t n)
{
	char *p = b->store + b->used;
	size_t len;

	if (!path_needs_normalising(s, n))
		return store_str(b, s, n);
	len = normalise_path_into(s, n, p);
	p[len] = '\0';
	b->used += len + 1;
	return p;
}

/* One line (without its end) against _contents_re. Returns false when it does not match. */
static bool contents_line(contents_builder *b, const char *t, size_t n, hs_contents_entry *e)
{
	const char *rest = t + 4;
	size_t rn;

	if (n < 5 || t[3] != ' ')
		return false;
	rn = n - 4;
	*e = (hs_contents_entry){0};
	if (memcmp(t, "dir", 3) == 0 || memcmp(t, "dev", 3) == 0 || memcmp(t, "fif", 3) == 0) {
		e->type = memcmp(t, "dir", 3) == 0 ? HS_CONTENTS_DIR
			  : memcmp(t, "dev", 3) == 0 ? HS_CONTENTS_DEV
						      : HS_CONTENTS_FIF;
		e->path = store_path(b, rest, rn);
		return true;
	}
	if (memcmp(t, "obj", 3) == 0) {
		/* (obj) (.+) (\S+) (\d+)$: mtime after the last space, md5 the word before it */
		const char *sp2 = memrchr(rest, ' ', rn), *sp1;
		size_t md5n;

		if (!sp2 || !all_digits(sp2 + 1, (size_t)(rest + rn - sp2 - 1)))
			return false;
		sp1 = memrchr(rest, ' ', (size_t)(sp2 - rest));
		if (!sp1 || sp1 == rest)
			return false;
		md5n = (size_t)(sp2 - sp1 - 1);
		if (md5n == 0)
			return false;
		for (size_t i = 0; i < md5n; i++)
			if (py_isspace((unsigned char)sp1[1 + i]))
				return false;
		e->type = HS_CONTENTS_OBJ;
		e->mtime = parse_mtime(sp2 + 1, (size_t)(rest + rn - sp2 - 1));
		e->path = store_path(b, rest, (size_t)(sp1 - rest));
		e->md5 = store_str(b, sp1 + 1, md5n);
		return true;
	}
	if (memcmp(t, "sym", 3) == 0) {
		/* (sym) (.+) -> (.+) ((\d+)|oldsym)$: the greedy path makes the split the last " -> " that leaves a
		 * non-empty target before the mtime */
		const char *mt = NULL, *tail, *arrow;
		size_t mtn = 0;

		tail = match_oldsym(rest, rn, &mt, &mtn);
		if (tail) {
			if (tail == rest || tail[-1] != ' ')
				return false;
			tail--;
		} else {
			tail = memrchr(rest, ' ', rn);
			if (!tail || !all_digits(tail + 1, (size_t)(rest + rn - tail - 1)))
				return false;
			mt = tail + 1;
			mtn = (size_t)(rest + rn - tail - 1);
		}
		/* " -> " must end before the target's last byte, i.e. leave >= 1 byte before tail */
		if (tail - rest < 5)
			return false;
		arrow = memrmem(rest, (size_t)(tail - rest) - 1, " -> ", 4);
		if (!arrow || arrow == rest)
			return false;
		e->type = HS_CONTENTS_SYM;
		e->mtime = parse_mtime(mt, mtn);
		e->path = store_path(b, rest, (size_t)(arrow - rest));
		e->target = store_str(b, arrow + 4, (size_t)(tail - arrow - 4));
		return true;
	}
	return false;
}

int hs_contents_parse(hs_ctx *ctx, const char *path, const char *buf, size_t len, hs_contents_entry **out,
		      size_t *n_out, char **storage)
{
	_cleanup_free_ hs_contents_entry *v = NULL;
	contents_builder b = {0};
	size_t nlines = 0, n = 0;
	unsigned bad = 0, lineno = 0;
	int r = 0;

	*out = NULL;
	*n_out = 0;
	*storage = NULL;
	/* universal newlines: \n, \r\n and \r end a line */
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n' || (buf[i] == '\r' && (i + 1 == len || buf[i + 1] != '\n')))
			nlines++;
	nlines++;
	/* every line stores at most its own bytes, one '/' and three NULs */
	if (len > SIZE_MAX / 8)
		return -ENOMEM;
	b.store = malloc(len + 4 * nlines + 1);
	v = calloc(nlines, sizeof(*v));
	if (!b.store || !v) {
		free(b.store);
		return -ENOMEM;
	}
	for (size_t pos = 0; pos < len;) {
		const char *t = buf + pos;
		size_t tn = 0;
		const char *problem = NULL;

		while (pos + tn < len && t[tn] != '\n' && t[tn] != '\r')
			tn++;
		pos += tn;
		if (pos < len)
			pos += (buf[pos] == '\r' && pos + 1 < len && buf[pos + 1] == '\n') ? 2 : 1;
		lineno++;
		if (memchr(t, '\0', tn))
			problem = "Null byte found in CONTENTS entry";
		else if (!contents_line(&b, t, tn, &v[n]))
			problem = "Unrecognized CONTENTS entry";
		else
			n++;
		if (problem && ++bad <= CONTENTS_WARNINGS_MAX) {
			_cleanup_free_ char *q = hs_escape(t, tn, 120);

			r = hs_ctx_add_warning(ctx, "%s:%u: %s: '%s'; line ignored", path, lineno, problem, q ? q : "?");
			if (r < 0)
				break;
		}
	}
	if (r >= 0 && bad > CONTENTS_WARNINGS_MAX)
		r = hs_ctx_add_warning(ctx, "%s: %u more malformed lines ignored", path, bad - CONTENTS_WARNINGS_MAX);
	if (r < 0) {
		free(b.store);
		return r;
	}
	*out = TAKE_PTR(v);
	*n_out = n;
	*storage = b.store;
	return 0;
}

static int contents_index_cmp(const void *a, const void *b, void *base)
{
	const hs_contents_entry *e = base;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(e[x].path, e[y].path);

	return c ? c : (x > y) - (x < y);
}

int hs_installed_contents(hs_ctx *ctx, hs_installed *pkg, size_t *n_out)
{
	_cleanup_free_ char *path = NULL, *buf = NULL;
	size_t len = 0;
	int r;

	if (pkg->contents_read) {
		*n_out = pkg->n_contents;
		return 0;
	}
	*n_out = 0;
	if (asprintf(&path, "%s/CONTENTS", pkg->path) < 0)
		return -ENOMEM;
	r = hs_root_read_file(ctx, HS_ROOT_SYS, path, CONTENTS_MAX, &buf, &len);
	if (r == -ENOENT)
		return hs_ctx_set_error(ctx, -ENOENT, "%s: no such file (%s records no files)", path, pkg->cpv);
	if (r < 0)
		return r;
	r = hs_contents_parse(ctx, path, buf, len, &pkg->contents, &pkg->n_contents, &pkg->contents_storage);
	if (r < 0)
		return r;
	pkg->contents_sorted = malloc((pkg->n_contents ? pkg->n_contents : 1) * sizeof(size_t));
	if (!pkg->contents_sorted) {
		contents_drop(pkg);
		return -ENOMEM;
	}
	for (size_t i = 0; i < pkg->n_contents; i++)
		pkg->contents_sorted[i] = i;
	qsort_r(pkg->contents_sorted, pkg->n_contents, sizeof(size_t), contents_index_cmp, pkg->contents);
	pkg->contents_read = true;
	*n_out = pkg->n_contents;
	return 0;
}

const hs_contents_entry *hs_installed_contents_get(const hs_installed *pkg, size_t i)
{
	if (!pkg || !pkg->contents_read || i >= pkg->n_contents)
		return NULL;
	return &pkg->contents[i];
}

const hs_contents_entry *hs_installed_contents_find(const hs_installed *pkg, const char *path)
{
	size_t lo = 0, hi, found = SIZE_MAX;

	if (!pkg || !path || !pkg->contents_read)
		return NULL;
	hi = pkg->n_contents;
	/* the last entry (in file order) with this path wins, as in Portage's dict */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(pkg->contents[pkg->contents_sorted[mid]].path, path);

		if (c <= 0) {
			if (c == 0)
				found = mid;
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return found == SIZE_MAX ? NULL : &pkg->contents[pkg->contents_sorted[found]];
}
