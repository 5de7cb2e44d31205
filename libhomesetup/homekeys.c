/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Moving a home between machines: homed's signing keys (`homesetup keys export|import`) and the plan of the
 * whole move (`homesetup move-plan`).
 *
 * Facts (systemd src/home/homed-manager.c, user-record-sign.c; systemd-homed.service(8) "Key Management"):
 *  - homed signs every record it writes with one Ed25519 key, /var/lib/systemd/home/local.private (PKCS#8 PEM),
 *    generated when it first signs; local.public is written beside it "as a help to the user" and never read.
 *  - it accepts records signed by that key or by any other "*.public" in /etc/systemd/home, /run/systemd/home,
 *    /var/lib/systemd/home, /usr/local/lib/systemd/home, /usr/lib/systemd/home, read when homed starts.
 *  - so a home moved from machine A to B logs in on B once A's local.public is installed there under another
 *    name (A.public); it can be changed on B only when B signs with A's key, i.e. with both of A's files as B's
 *    local.private and local.public (which invalidates what B signed before).
 *  - a record's "signature" is an array of {"data": base64 signature, "key": PEM public key}, made over the
 *    record without its "secret", "binding", "status" and "signature" parts, object keys sorted, formatted
 *    compactly (user_record_signable_json()). The Gentoo wiki's "private.local"/"public.local" do not exist.
 *
 * Signature checks need Ed25519, which only OpenSSL gives us here: libcrypto is loaded at run time (it is on
 * every system that has systemd-homed); without it the record's key is compared with the imported key and the
 * check says that the signature itself was not verified.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "homesetupP.h"

#define KEY_DIR "/var/lib/systemd/home"
#define KEY_MAX (64u * 1024)
#define RECORD_MAX (4u << 20)

/* ---- PEM and base64 ---------------------------------------------------------------------------------------- */

static int b64_val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Decode base64 (whitespace ignored, '=' padding): malloc'd bytes, or NULL when invalid. */
static uint8_t *b64_decode(const char *s, size_t len, size_t *out_len)
{
	uint8_t *out = malloc(len / 4 * 3 + 3);
	uint32_t acc = 0;
	size_t n = 0, bits = 0;
	bool pad = false;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		int v;

		if (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')
			continue;
		if (s[i] == '=') {
			pad = true;
			continue;
		}
		v = b64_val(s[i]);
		if (v < 0 || pad) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	*out_len = n;
	return out;
}

/* The base64 body of the PEM block with @label, whitespace removed (malloc'd), or NULL. */
static char *pem_body(const char *pem, size_t len, const char *label)
{
	_cleanup_free_ char *begin = NULL, *end = NULL;
	_cleanup_buf_ hs_buf b = {0};
	const char *p, *q;

	if (asprintf(&begin, "-----BEGIN %s-----", label) < 0 || asprintf(&end, "-----END %s-----", label) < 0)
		return NULL;
	p = memmem(pem, len, begin, strlen(begin));
	if (!p)
		return NULL;
	p += strlen(begin);
	q = memmem(p, len - (size_t)(p - pem), end, strlen(end));
	if (!q)
		return NULL;
	for (; p < q; p++)
		if (b64_val(*p) >= 0 || *p == '=') {
			if (hs_buf_putc(&b, *p) < 0)
				return NULL;
		} else if (!(*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
			return NULL;
	if (!b.len)
		return NULL;
	return hs_buf_steal(&b);
}

/* Does buf hold a PEM block with @label? (The body of a private key is wiped before it is freed.) */
static bool pem_is(const char *buf, size_t len, const char *label)
{
	char *body = pem_body(buf, len, label);

	if (!body)
		return false;
	explicit_bzero(body, strlen(body));
	free(body);
	return true;
}

/* ---- libcrypto, loaded when present ------------------------------------------------------------------------ */

typedef struct crypto_api {
	void *lib;
	void *(*bio_new_mem_buf)(const void *, int);
	int (*bio_free)(void *);
	void *(*pem_read_bio_pubkey)(void *, void **, void *, void *);
	void (*pkey_free)(void *);
	void *(*md_ctx_new)(void);
	void (*md_ctx_free)(void *);
	int (*verify_init)(void *, void **, const void *, void *, void *);
	int (*verify)(void *, const unsigned char *, size_t, const unsigned char *, size_t);
} crypto_api;

static bool crypto_load(crypto_api *c)
{
	static const char *const names[] = { "libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.so", NULL };
	static const char *const syms[] = { "BIO_new_mem_buf", "BIO_free", "PEM_read_bio_PUBKEY", "EVP_PKEY_free",
					    "EVP_MD_CTX_new", "EVP_MD_CTX_free", "EVP_DigestVerifyInit",
					    "EVP_DigestVerify" };
	void **slots[] = { (void **)&c->bio_new_mem_buf, (void **)&c->bio_free, (void **)&c->pem_read_bio_pubkey,
			   (void **)&c->pkey_free, (void **)&c->md_ctx_new, (void **)&c->md_ctx_free,
			   (void **)&c->verify_init, (void **)&c->verify };

	memset(c, 0, sizeof(*c));
	for (size_t i = 0; names[i] && !c->lib; i++)
		c->lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
	if (!c->lib)
		return false;
	for (size_t i = 0; i < ELEMENTSOF(syms); i++) {
		*slots[i] = dlsym(c->lib, syms[i]);
		if (!*slots[i]) {
			dlclose(c->lib);
			c->lib = NULL;
			return false;
		}
	}
	return true;
}

/* 1 the signature verifies, 0 it does not, -1 could not be checked. */
static int crypto_verify(crypto_api *c, const char *pem, size_t pem_len, const uint8_t *sig, size_t sig_len,
			 const char *text)
{
	void *bio, *key = NULL, *md;
	int r = -1;

	if (pem_len > INT32_MAX || !(bio = c->bio_new_mem_buf(pem, (int)pem_len)))
		return -1;
	key = c->pem_read_bio_pubkey(bio, NULL, NULL, NULL);
	c->bio_free(bio);
	if (!key)
		return -1;
	md = c->md_ctx_new();
	if (md && c->verify_init(md, NULL, NULL, NULL, key) > 0)
		r = c->verify(md, sig, sig_len, (const unsigned char *)text, strlen(text)) > 0 ? 1 : 0;
	if (md)
		c->md_ctx_free(md);
	c->pkey_free(key);
	return r;
}

/* ---- results ---------------------------------------------------------------------------------------------- */

typedef struct key_file {
	hs_key_file pub;
	char *name, *source, *target, *fp, *old_fp;
} key_file;

typedef struct record_check {
	hs_record_check pub;
	char *path, *user, *detail;
} record_check;

struct hs_keys_result {
	key_file files[2];         /* fixed: callers keep pointers to them while adding */
	size_t n_files;
	record_check *records;
	size_t n_records;
	char **notes;
	bool replacing_pair;
};

void hs_keys_result_free(hs_keys_result *res)
{
	if (!res)
		return;
	for (size_t i = 0; i < res->n_files; i++) {
		free(res->files[i].name);
		free(res->files[i].source);
		free(res->files[i].target);
		free(res->files[i].fp);
		free(res->files[i].old_fp);
	}
	for (size_t i = 0; i < res->n_records; i++) {
		free(res->records[i].path);
		free(res->records[i].user);
		free(res->records[i].detail);
	}
	free(res->records);
	hs_strv_free(res->notes);
	free(res);
}
DEFINE_CLEANUP_FUNC(hs_keys_result, hs_keys_result_free);

size_t hs_keys_result_file_count(const hs_keys_result *res)
{
	return res ? res->n_files : 0;
}

const hs_key_file *hs_keys_result_file(const hs_keys_result *res, size_t i)
{
	return res && i < res->n_files ? &res->files[i].pub : NULL;
}

size_t hs_keys_result_record_count(const hs_keys_result *res)
{
	return res ? res->n_records : 0;
}

const hs_record_check *hs_keys_result_record(const hs_keys_result *res, size_t i)
{
	return res && i < res->n_records ? &res->records[i].pub : NULL;
}

size_t hs_keys_result_note_count(const hs_keys_result *res)
{
	return res ? hs_strv_length(res->notes) : 0;
}

const char *hs_keys_result_note(const hs_keys_result *res, size_t i)
{
	return res && i < hs_strv_length(res->notes) ? res->notes[i] : NULL;
}

bool hs_keys_result_ok(const hs_keys_result *res)
{
	if (!res)
		return false;
	for (size_t i = 0; i < res->n_files; i++)
		if (res->files[i].pub.action == HS_KEY_REFUSED)
			return false;
	for (size_t i = 0; i < res->n_records; i++) {
		hs_record_verdict v = res->records[i].pub.verdict;

		if (v == HS_RECORD_BAD_SIGNATURE || v == HS_RECORD_UNSIGNED ||
		    (v == HS_RECORD_OTHER_KEY && res->replacing_pair))
			return false;
	}
	return true;
}

static int res_note(hs_keys_result *res, const char *fmt, ...) _printf_(2, 3);
static int res_note(hs_keys_result *res, const char *fmt, ...)
{
	_cleanup_free_ char *s = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	return hs_strv_push(&res->notes, s, strlen(s));
}

static key_file *res_file(hs_keys_result *res, const char *name, const char *source, const char *target,
			  unsigned mode)
{
	key_file *f;

	if (res->n_files >= ELEMENTSOF(res->files))
		return NULL;
	f = &res->files[res->n_files];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	f->source = strdup(source);
	f->target = strdup(target);
	if (!f->name || !f->source || !f->target) {
		free(f->name);
		free(f->source);
		free(f->target);
		return NULL;
	}
	f->pub.mode = mode;
	res->n_files++;
	return f;
}

static void key_file_publish(key_file *f)
{
	f->pub.name = f->name;
	f->pub.source = f->source;
	f->pub.target = f->target;
	f->pub.fingerprint = f->fp;
	f->pub.old_fingerprint = f->old_fp;
}

/* ---- reading and writing key files --------------------------------------------------------------------------- */

static void wipe_free(char *p, size_t len)
{
	if (p)
		explicit_bzero(p, len);
	free(p);
}

/* A context rooted at @dir, for files outside the main root. */
static int dir_ctx(hs_ctx *ctx, const char *dir, hs_ctx **out)
{
	int r = hs_ctx_new(out);

	if (r < 0)
		return r;
	r = hs_ctx_set_root(*out, dir);
	if (r < 0) {
		hs_ctx_free(*out);
		*out = NULL;
		return hs_ctx_set_error(ctx, r, "%s: invalid directory", dir);
	}
	return 0;
}

/* Read a key file: 0 and *buf, -ENOENT silently, else -errno with the message copied into @ctx. */
static int read_key(hs_ctx *ctx, hs_ctx *in, const char *shown, const char *path, char **buf, size_t *len)
{
	int r = hs_root_read_file(in, HS_ROOT_SYS, path, KEY_MAX, buf, len);

	if (r < 0 && r != -ENOENT)
		return hs_ctx_set_error(ctx, r, "%s: %s", shown, hs_ctx_last_error(in));
	return r;
}

/* Write buf with @mode, root-owned when we are root, atomically; an existing file's mode and owner are set too. */
static int write_key(hs_ctx *ctx, hs_ctx *in, const char *shown, const char *path, const char *buf, size_t len,
		     unsigned mode)
{
	int r = hs_atomic_write_file(in, HS_ROOT_SYS, path, buf, len, mode, 0), fd;

	if (r < 0)
		return hs_ctx_set_error(ctx, r, "%s: %s", shown, hs_ctx_last_error(in));
	fd = hs_root_open(in, HS_ROOT_SYS, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return hs_ctx_set_error(ctx, fd, "%s: cannot open after writing: %s", shown, strerror(-fd));
	r = 0;
	if (geteuid() == 0 && fchown(fd, 0, 0) < 0)
		r = hs_ctx_set_error(ctx, -errno, "%s: cannot make it owned by root: %s", shown, strerror(errno));
	if (r >= 0 && fchmod(fd, mode) < 0)
		r = hs_ctx_set_error(ctx, -errno, "%s: cannot set mode %04o: %s", shown, mode, strerror(errno));
	close(fd);
	return r;
}

static char *join(const char *dir, const char *name)
{
	char *s;

	return asprintf(&s, "%s%s%s", dir, dir[0] && dir[strlen(dir) - 1] == '/' ? "" : "/", name) < 0 ? NULL : s;
}

static char *root_path(hs_ctx *ctx, const char *path)
{
	const char *root = hs_ctx_get_root(ctx);

	return strcmp(root, "/") == 0 ? strdup(path) : join(root, path + 1);
}

int hs_keys_export(hs_ctx *ctx, hs_keys_result **out, const char *dir, const hs_keys_options *opts)
{
	static const struct {
		const char *name;
		unsigned mode;
		const char *label;
	} keys[] = { { "local.private", 0600, "PRIVATE KEY" }, { "local.public", 0644, "PUBLIC KEY" } };
	_cleanup_(hs_keys_result_freep) hs_keys_result *res = calloc(1, sizeof(*res));
	_cleanup_(hs_ctx_freep) hs_ctx *dst = NULL;
	bool force = opts && opts->force, pretend = opts && opts->pretend;
	bool any_refused = false;
	char *bufs[2] = { NULL, NULL };
	size_t lens[2] = { 0, 0 };
	key_file *files[2];
	int r;

	*out = NULL;
	if (!res)
		return -ENOMEM;
	if (!dir || !*dir)
		return hs_ctx_set_error(ctx, -EINVAL, "keys export: name the directory to write the keys to");
	r = dir_ctx(ctx, dir, &dst);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		_cleanup_free_ char *src = NULL, *shown_src = NULL, *shown_dst = NULL, *target = NULL;
		_cleanup_free_ char *old = NULL;
		size_t old_len = 0;
		key_file *f;

		if (asprintf(&src, KEY_DIR "/%s", keys[i].name) < 0 || !(shown_src = root_path(ctx, src)) ||
		    !(shown_dst = join(dir, keys[i].name)) || asprintf(&target, "/%s", keys[i].name) < 0) {
			r = -ENOMEM;
			goto out;
		}
		f = files[i] = res_file(res, keys[i].name, shown_src, shown_dst, keys[i].mode);
		if (!f) {
			r = -ENOMEM;
			goto out;
		}
		key_file_publish(f);
		r = read_key(ctx, ctx, shown_src, src, &bufs[i], &lens[i]);
		if (r == -ENOENT) {
			f->pub.action = HS_KEY_MISSING;
			if (i == 0) {
				r = hs_ctx_set_error(ctx, -ENOENT, "%s does not exist: systemd-homed has no key pair yet (it "
						     "makes one when it first signs a record, i.e. creates a home)", shown_src);
				*out = TAKE_PTR(res);
				goto out;
			}
			r = res_note(res, "%s does not exist (homed writes it beside local.private; it never reads it): "
				     "only the private key was exported", shown_src);
			if (r < 0)
				goto out;
			continue;
		}
		if (r < 0) {
			*out = TAKE_PTR(res);
			goto out;
		}
		if (!pem_is(bufs[i], lens[i], keys[i].label) &&
		    !(i == 0 && pem_is(bufs[i], lens[i], "ENCRYPTED PRIVATE KEY"))) {
			r = hs_ctx_set_error(ctx, -EINVAL, "%s: not a PEM \"%s\"", shown_src, keys[i].label);
			*out = TAKE_PTR(res);
			goto out;
		}
		if ((r = hs_keys_fingerprint(bufs[i], lens[i], &f->fp)) < 0)
			goto out;
		r = read_key(ctx, dst, shown_dst, target, &old, &old_len);
		if (r < 0 && r != -ENOENT) {
			*out = TAKE_PTR(res);
			goto out;
		}
		if (r == 0) {
			if ((r = hs_keys_fingerprint(old, old_len, &f->old_fp)) < 0) {
				wipe_free(TAKE_PTR(old), old_len);
				goto out;
			}
			if (old_len == lens[i] && memcmp(old, bufs[i], old_len) == 0)
				f->pub.action = HS_KEY_UNCHANGED;
			else if (!force) {
				f->pub.action = HS_KEY_REFUSED;
				any_refused = true;
			}
			wipe_free(TAKE_PTR(old), old_len);
		}
		key_file_publish(f);
	}
	r = 0;
	if (any_refused) {
		r = res_note(res, "a different key is in %s already: nothing was written (give --force to replace it)",
			     dir);
		*out = TAKE_PTR(res);
		goto out;
	}
	if (!pretend) {
		struct stat st;

		if (stat(dir, &st) < 0 && errno == ENOENT && mkdir(dir, 0700) < 0) {
			r = hs_ctx_set_error(ctx, -errno, "%s: cannot create: %s", dir, strerror(errno));
			*out = TAKE_PTR(res);
			goto out;
		}
	}
	for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
		key_file *f = files[i];
		char target[32];

		if (!bufs[i] || f->pub.action == HS_KEY_UNCHANGED)
			continue;
		if (pretend) {
			f->pub.action = HS_KEY_WOULD_WRITE;
			continue;
		}
		snprintf(target, sizeof(target), "/%s", keys[i].name);
		r = write_key(ctx, dst, f->target, target, bufs[i], lens[i], keys[i].mode);
		if (r < 0) {
			*out = TAKE_PTR(res);
			goto out;
		}
		f->pub.action = HS_KEY_WRITTEN;
	}
	r = res_note(res, "%s holds this machine's private key: keep it like a password, and delete it once imported",
		     dir);
	if (r >= 0)
		*out = TAKE_PTR(res);
out:
	wipe_free(bufs[0], lens[0]);
	wipe_free(bufs[1], lens[1]);
	return r;
}

/* ---- checking records against a public key ------------------------------------------------------------------- */

static int add_check(hs_keys_result *res, const char *path, const char *user, hs_record_verdict v,
		     const char *fmt, ...) _printf_(5, 6);
static int add_check(hs_keys_result *res, const char *path, const char *user, hs_record_verdict v,
		     const char *fmt, ...)
{
	record_check *nv = realloc(res->records, (res->n_records + 1) * sizeof(*nv)), *c;
	va_list ap;
	int r;

	if (!nv)
		return -ENOMEM;
	res->records = nv;
	c = &nv[res->n_records];
	memset(c, 0, sizeof(*c));
	va_start(ap, fmt);
	r = vasprintf(&c->detail, fmt, ap);
	va_end(ap);
	c->path = strdup(path);
	c->user = user ? strdup(user) : NULL;
	if (r < 0 || !c->path || (user && !c->user)) {
		if (r >= 0)
			free(c->detail);
		free(c->path);
		free(c->user);
		return -ENOMEM;
	}
	c->pub = (hs_record_check){ .path = c->path, .user = c->user, .verdict = v, .detail = c->detail };
	res->n_records++;
	return 0;
}

static int check_record(hs_keys_result *res, crypto_api *crypto, const char *shown, const char *buf, size_t len,
			const char *pub_body)
{
	struct json_tokener *tok = json_tokener_new_ex(64);
	struct json_object *o = NULL, *sig, *name;
	_cleanup_free_ char *text = NULL;
	const char *user = NULL;
	bool named = false;
	int r = 0, verified = -1;

	if (!tok)
		return -ENOMEM;
	if (len <= INT32_MAX)
		o = json_tokener_parse_ex(tok, buf, (int)len);
	json_tokener_free(tok);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return add_check(res, shown, NULL, HS_RECORD_UNREADABLE, "not a JSON user record");
	}
	if (json_object_object_get_ex(o, "userName", &name) && json_object_is_type(name, json_type_string))
		user = json_object_get_string(name);
	if (!json_object_object_get_ex(o, "signature", &sig) || !json_object_is_type(sig, json_type_array) ||
	    json_object_array_length(sig) == 0) {
		r = add_check(res, shown, user, HS_RECORD_UNSIGNED, "the record is not signed at all: homed refuses it "
			      "(\"not signed at all\")");
		goto out;
	}
	for (size_t i = 0; i < json_object_array_length(sig); i++) {
		struct json_object *e = json_object_array_get_idx(sig, i), *key, *data;
		_cleanup_free_ char *body = NULL;
		_cleanup_free_ uint8_t *raw = NULL;
		size_t raw_len = 0;
		const char *pem;

		if (!json_object_is_type(e, json_type_object) || !json_object_object_get_ex(e, "key", &key) ||
		    !json_object_is_type(key, json_type_string))
			continue;
		pem = json_object_get_string(key);
		body = pem_body(pem, strlen(pem), "PUBLIC KEY");
		if (!body || strcmp(body, pub_body) != 0)
			continue;
		named = true;
		if (!crypto->lib || !json_object_object_get_ex(e, "data", &data) ||
		    !json_object_is_type(data, json_type_string))
			continue;
		if (!text && !(text = hs_record_signable_text(o))) {
			r = -ENOMEM;
			goto out;
		}
		raw = b64_decode(json_object_get_string(data), (size_t)json_object_get_string_len(data), &raw_len);
		if (!raw)
			continue;
		{
			int v = crypto_verify(crypto, pem, strlen(pem), raw, raw_len, text);

			if (v > verified)
				verified = v;
		}
	}
	if (!named)
		r = add_check(res, shown, user, HS_RECORD_OTHER_KEY, "signed by another key (%zu signature%s), not by "
			      "this one", json_object_array_length(sig), json_object_array_length(sig) == 1 ? "" : "s");
	else if (verified == 1)
		r = add_check(res, shown, user, HS_RECORD_VERIFIED, "signed by this key: the Ed25519 signature verifies");
	else if (verified == 0)
		r = add_check(res, shown, user, HS_RECORD_BAD_SIGNATURE, "names this key, but its signature does not "
			      "verify: the record was changed after it was signed");
	else
		r = add_check(res, shown, user, HS_RECORD_KEY_MATCHES, "signed with this key (the same PEM); the "
			      "signature itself was not verified%s", crypto->lib ? "" : " (libcrypto is not available)");
out:
	json_object_put(o);
	return r;
}

static int check_one_file(hs_ctx *ctx, hs_keys_result *res, crypto_api *crypto, hs_ctx *in, const char *path,
			  const char *pub_body)
{
	_cleanup_free_ char *buf = NULL, *shown = root_path(in, path);
	size_t len;
	int r;

	if (!shown)
		return -ENOMEM;
	r = hs_root_read_file(in, HS_ROOT_SYS, path, RECORD_MAX, &buf, &len);
	if (r == -ENOENT || r == -EACCES)
		return 0;
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return add_check(res, shown, NULL, HS_RECORD_UNREADABLE, "cannot read it: %s", hs_ctx_last_error(in));
	return check_record(res, crypto, shown, buf, len, pub_body);
}

static int check_records(hs_ctx *ctx, hs_keys_result *res, const hs_keys_options *opts, const char *pub_pem,
			 size_t pub_len)
{
	_cleanup_free_ char *body = pem_body(pub_pem, pub_len, "PUBLIC KEY");
	crypto_api crypto;
	const char *user = opts ? opts->user : NULL;
	char **names = NULL;
	int r = 0, fd;

	if (!body)
		return -ENOMEM;
	(void)crypto_load(&crypto);
	/* /var/lib/systemd/home/<user>.identity and /home/<user>/.identity (visible when the home is active) */
	fd = hs_root_open(ctx, HS_ROOT_SYS, KEY_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		struct dirent *de;

		while (d && (de = readdir(d))) {
			size_t l = strlen(de->d_name);

			if (l > 9 && strcmp(de->d_name + l - 9, ".identity") == 0 &&
			    (!user || (l - 9 == strlen(user) && strncmp(de->d_name, user, l - 9) == 0)) &&
			    (r = hs_strv_push(&names, de->d_name, l - 9)) < 0)
				break;
		}
		if (d)
			closedir(d);
		else
			close(fd);
	}
	if (!names && user && r >= 0)
		r = hs_strv_push(&names, user, strlen(user));
	for (size_t i = 0; r >= 0 && names && names[i]; i++) {
		_cleanup_free_ char *a = NULL, *b = NULL;

		if (!hs_doctor_name_ok(names[i], strlen(names[i])))
			continue;
		if (asprintf(&a, KEY_DIR "/%s.identity", names[i]) < 0 || asprintf(&b, "/home/%s/.identity", names[i]) < 0)
			r = -ENOMEM;
		if (r >= 0)
			r = check_one_file(ctx, res, &crypto, ctx, a, body);
		if (r >= 0)
			r = check_one_file(ctx, res, &crypto, ctx, b, body);
	}
	hs_strv_free(names);
	if (r >= 0 && opts && opts->record) {
		_cleanup_(hs_ctx_freep) hs_ctx *rc = NULL;
		_cleanup_free_ char *dir = strdup(opts->record);
		char *slash = dir ? strrchr(dir, '/') : NULL;

		if (!dir)
			r = -ENOMEM;
		else {
			const char *file = slash ? slash + 1 : opts->record;
			_cleanup_free_ char *rel = NULL;

			if (slash)
				*slash = '\0';
			r = dir_ctx(ctx, slash ? (*dir ? dir : "/") : ".", &rc);
			if (r >= 0 && asprintf(&rel, "/%s", file) < 0)
				r = -ENOMEM;
			if (r >= 0) {
				size_t before = res->n_records;

				r = check_one_file(ctx, res, &crypto, rc, rel, body);
				if (r >= 0 && res->n_records == before)
					r = hs_ctx_set_error(ctx, -ENOENT, "%s: cannot read the record", opts->record);
			}
		}
	}
	if (r >= 0 && res->n_records == 0)
		r = res_note(res, "no user record is visible here to check the key against (records are in "
			     KEY_DIR "/USER.identity, and ~/.identity while a home is active); check one with --record FILE");
	if (crypto.lib)
		dlclose(crypto.lib);
	return r;
}

static bool trust_name_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 64 || strcmp(s, "local") == 0 || s[0] == '.')
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("_.-", *p)))
			return false;
	return true;
}

int hs_keys_import(hs_ctx *ctx, hs_keys_result **out, const char *dir, const hs_keys_options *opts)
{
	_cleanup_(hs_keys_result_freep) hs_keys_result *res = calloc(1, sizeof(*res));
	_cleanup_(hs_ctx_freep) hs_ctx *src = NULL;
	const char *trust = opts ? opts->trust_name : NULL;
	bool force = opts && opts->force, pretend = opts && opts->pretend, refused = false;
	struct {
		const char *from, *label;
		char *to;
		unsigned mode;
		char *buf;
		size_t len;
		key_file *f;
	} k[2] = { { "local.private", "PRIVATE KEY", NULL, 0600, NULL, 0, NULL },
		   { "local.public", "PUBLIC KEY", NULL, 0644, NULL, 0, NULL } };
	size_t first = trust ? 1 : 0;
	int r = 0;

	*out = NULL;
	if (!res)
		return -ENOMEM;
	if (!dir || !*dir)
		return hs_ctx_set_error(ctx, -EINVAL, "keys import: name the directory holding local.public and local.private");
	if (trust && !trust_name_ok(trust))
		return hs_ctx_set_error(ctx, -EINVAL, "invalid --trust name '%s': letters, digits, '_', '.', '-' "
					"(e.g. the other machine's host name; not 'local')", trust);
	r = dir_ctx(ctx, dir, &src);
	if (r < 0)
		return r;
	res->replacing_pair = !trust;
	if (asprintf(&k[0].to, KEY_DIR "/local.private") < 0 ||
	    (trust ? asprintf(&k[1].to, KEY_DIR "/%s.public", trust) : asprintf(&k[1].to, KEY_DIR "/local.public")) < 0) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = first; i < 2; i++) {
		_cleanup_free_ char *shown_src = join(dir, k[i].from), *shown_dst = root_path(ctx, k[i].to);
		_cleanup_free_ char *rel = NULL, *old = NULL;
		size_t old_len = 0;
		const char *name = strrchr(k[i].to, '/') + 1;

		if (!shown_src || !shown_dst || asprintf(&rel, "/%s", k[i].from) < 0) {
			r = -ENOMEM;
			goto out;
		}
		k[i].f = res_file(res, name, shown_src, shown_dst, k[i].mode);
		if (!k[i].f) {
			r = -ENOMEM;
			goto out;
		}
		key_file_publish(k[i].f);
		r = read_key(ctx, src, shown_src, rel, &k[i].buf, &k[i].len);
		if (r == -ENOENT) {
			k[i].f->pub.action = HS_KEY_MISSING;
			r = hs_ctx_set_error(ctx, -ENOENT, "%s does not exist%s", shown_src,
					     i == 0 ? " (to trust only the public key of the other machine, give --trust NAME)" : "");
			goto fail;
		}
		if (r < 0)
			goto fail;
		if (!pem_is(k[i].buf, k[i].len, k[i].label)) {
			r = hs_ctx_set_error(ctx, -EINVAL, "%s: not a PEM \"%s\"%s", shown_src, k[i].label,
					     i == 0 ? " (homed cannot read an encrypted private key)" : "");
			goto fail;
		}
		if ((r = hs_keys_fingerprint(k[i].buf, k[i].len, &k[i].f->fp)) < 0)
			goto out;
		r = read_key(ctx, ctx, shown_dst, k[i].to, &old, &old_len);
		if (r < 0 && r != -ENOENT)
			goto fail;
		if (r == 0) {
			r = hs_keys_fingerprint(old, old_len, &k[i].f->old_fp);
			if (r >= 0 && old_len == k[i].len && memcmp(old, k[i].buf, old_len) == 0)
				k[i].f->pub.action = HS_KEY_UNCHANGED;
			else if (r >= 0 && !force) {
				k[i].f->pub.action = HS_KEY_REFUSED;
				refused = true;
			}
			wipe_free(TAKE_PTR(old), old_len);
			if (r < 0)
				goto out;
		}
		key_file_publish(k[i].f);
	}
	r = 0;
	if (refused) {
		r = res_note(res, "a different key is installed already: nothing was written. Replacing this machine's "
			     "pair makes homed reject the records it signed so far; give --force only when that is meant, "
			     "or use --trust NAME to add the other machine's public key beside this machine's pair");
		goto done;
	}
	if (!pretend && (r = hs_root_mkdir_parents(ctx, HS_ROOT_SYS, k[1].to, 0755)) < 0)
		goto fail;
	for (size_t i = first; i < 2; i++) {
		if (k[i].f->pub.action == HS_KEY_UNCHANGED)
			continue;
		if (pretend) {
			k[i].f->pub.action = HS_KEY_WOULD_WRITE;
			continue;
		}
		r = write_key(ctx, ctx, k[i].f->target, k[i].to, k[i].buf, k[i].len, k[i].mode);
		if (r < 0)
			goto fail;
		k[i].f->pub.action = HS_KEY_WRITTEN;
	}
	r = check_records(ctx, res, opts, k[1].buf, k[1].len);
	if (r < 0)
		goto fail;
	r = res_note(res, "homed reads its keys when it starts: systemctl restart systemd-homed.service");
done:
	if (r >= 0)
		*out = TAKE_PTR(res);
	goto out;
fail:
	if (r != -ENOMEM)
		*out = TAKE_PTR(res);
out:
	for (size_t i = 0; i < 2; i++) {
		wipe_free(k[i].buf, k[i].len);
		free(k[i].to);
	}
	return r;
}

