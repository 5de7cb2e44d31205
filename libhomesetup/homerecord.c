/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers of the homed modules (doctor, keys, move-plan): SHA-256 for key fingerprints, creating directories under
 * a root, the fields of a user record under ROOT (/var/lib/systemd/home/USER.identity), and the text systemd signs
 * a record as (src/home/user-record-sign.c user_record_signable_json(): the record without "secret", "binding",
 * "status" and "signature", object keys sorted at every level, formatted compactly with systemd's string
 * escapes: \" \\ \b \f \n \r \t, \u00XX for other control characters, everything else as it is).
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "homesetupP.h"

#define KEY_DIR "/var/lib/systemd/home"
#define RECORD_MAX (4u << 20)

/* ---- SHA-256 (FIPS 180-4) -------------------------------------------------------------------------------- */

static const uint32_t sha_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t ror(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, k;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = k + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) + sha_k[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));

		k = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += k;
}

void hs_sha256(const void *buf, size_t len, uint8_t out[32])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
			  0x5be0cd19 };
	const uint8_t *p = buf;
	uint8_t tail[128] = {0};
	size_t rest = len % 64, n_tail;
	uint64_t bits = (uint64_t)len * 8;

	for (size_t i = 0; i + 64 <= len; i += 64)
		sha_block(h, p + i);
	memcpy(tail, p + (len - rest), rest);
	tail[rest] = 0x80;
	n_tail = rest < 56 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		tail[n_tail - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha_block(h, tail);
	if (n_tail == 128)
		sha_block(h, tail + 64);
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
	explicit_bzero(tail, sizeof(tail));
}

int hs_keys_fingerprint(const void *buf, size_t len, char **out)
{
	uint8_t d[32];
	char *s = malloc(7 + 64 + 1);

	*out = NULL;
	if (!s)
		return -ENOMEM;
	hs_sha256(buf, len, d);
	memcpy(s, "SHA256:", 7);
	for (int i = 0; i < 32; i++)
		snprintf(s + 7 + 2 * i, 3, "%02x", d[i]);
	*out = s;
	return 0;
}

/* ---- directories under a root ----------------------------------------------------------------------------- */

int hs_root_mkdir_parents(hs_ctx *ctx, hs_root_kind kind, const char *path, unsigned mode)
{
	_cleanup_free_ char *p = strdup(path);
	char *slash;

	if (!p)
		return -ENOMEM;
	if (p[0] != '/')
		return hs_ctx_set_error(ctx, -EINVAL, "%s: not an absolute path", path);
	for (slash = strchr(p + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		char *prev;
		int fd, pfd;

		*slash = '\0';
		fd = hs_root_open(ctx, kind, p, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			close(fd);
			*slash = '/';
			continue;
		}
		if (fd != -ENOENT)
			return fd == -ENOTDIR ? hs_ctx_set_error(ctx, fd, "%s: not a directory", p) : fd;
		prev = strrchr(p, '/');
		*prev = '\0';
		pfd = hs_root_open(ctx, kind, *p ? p : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		*prev = '/';
		if (pfd < 0)
			return pfd;
		if (mkdirat(pfd, prev + 1, mode) < 0 && errno != EEXIST) {
			int e = errno;

			close(pfd);
			return hs_ctx_set_error(ctx, -e, "%s: cannot create: %s", p, strerror(e));
		}
		close(pfd);
		*slash = '/';
	}
	return 0;
}

/* ---- user records ----------------------------------------------------------------------------------------- */

void hs_home_record_done(hs_home_record *r)
{
	free(r->image_path);
	free(r->fstype);
	free(r->storage);
	free(r->home_dir);
	memset(r, 0, sizeof(*r));
}

static int take_str(struct json_object *o, const char *key, char **dst)
{
	struct json_object *v;

	if (*dst || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return 0;
	*dst = strdup(json_object_get_string(v));
	return *dst ? 0 : -ENOMEM;
}

static int record_fields(struct json_object *o, hs_home_record *out)
{
	struct json_object *v;
	int r;

	if ((r = take_str(o, "imagePath", &out->image_path)) < 0 || (r = take_str(o, "fileSystemType", &out->fstype)) < 0 ||
	    (r = take_str(o, "storage", &out->storage)) < 0 || (r = take_str(o, "homeDirectory", &out->home_dir)) < 0)
		return r;
	if (!out->uid && json_object_object_get_ex(o, "uid", &v) && json_object_is_type(v, json_type_int)) {
		int64_t uid = json_object_get_int64(v);

		if (uid > 0 && uid < 0xffffffffLL)
			out->uid = (unsigned)uid;
	}
	return 0;
}

int hs_home_record_load(hs_ctx *ctx, const char *user, hs_home_record *out)
{
	_cleanup_free_ char *path = NULL, *buf = NULL;
	struct json_object *o, *binding;
	size_t len;
	int r;

	memset(out, 0, sizeof(*out));
	if (!hs_doctor_name_ok(user, strlen(user)))
		return 0;
	if (asprintf(&path, KEY_DIR "/%s.identity", user) < 0)
		return -ENOMEM;
	r = hs_root_read_file(ctx, HS_ROOT_SYS, path, RECORD_MAX, &buf, &len);
	if (r == -ENOENT || r == -EACCES || r == -EFBIG)
		return 0;
	if (r < 0)
		return r;
	o = json_tokener_parse(buf);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return 0;
	}
	r = record_fields(o, out);
	if (r >= 0 && json_object_object_get_ex(o, "binding", &binding) &&
	    json_object_is_type(binding, json_type_object)) {
		json_object_object_foreach(binding, key, val) {
			(void)key;
			if (r >= 0 && json_object_is_type(val, json_type_object))
				r = record_fields(val, out);
		}
	}
	json_object_put(o);
	if (r < 0) {
		hs_home_record_done(out);
		return r;
	}
	return 1;
}

/* ---- the text systemd signs -------------------------------------------------------------------------------- */

static int put_json_string(hs_buf *b, const char *s, size_t len)
{
	if (hs_buf_putc(b, '"') < 0)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		int r;

		switch (c) {
		case '"': r = hs_buf_puts(b, "\\\""); break;
		case '\\': r = hs_buf_puts(b, "\\\\"); break;
		case '\b': r = hs_buf_puts(b, "\\b"); break;
		case '\f': r = hs_buf_puts(b, "\\f"); break;
		case '\n': r = hs_buf_puts(b, "\\n"); break;
		case '\r': r = hs_buf_puts(b, "\\r"); break;
		case '\t': r = hs_buf_puts(b, "\\t"); break;
		default:
			r = c < 0x20 ? hs_buf_printf(b, "\\u%04x", c) : hs_buf_putc(b, (char)c);
		}
		if (r < 0)
			return -ENOMEM;
	}
	return hs_buf_putc(b, '"');
}

static int cmp_key(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int put_canonical(hs_buf *b, struct json_object *o, bool top, unsigned depth)
{
	if (depth > 64)
		return -EINVAL;
	switch (json_object_get_type(o)) {
	case json_type_null:
		return hs_buf_puts(b, "null");
	case json_type_boolean:
		return hs_buf_puts(b, json_object_get_boolean(o) ? "true" : "false");
	case json_type_int:
	case json_type_double:
		return hs_buf_puts(b, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	case json_type_string:
		return put_json_string(b, json_object_get_string(o), (size_t)json_object_get_string_len(o));
	case json_type_array: {
		size_t n = json_object_array_length(o);

		if (hs_buf_putc(b, '[') < 0)
			return -ENOMEM;
		for (size_t i = 0; i < n; i++) {
			int r;

			if ((i && hs_buf_putc(b, ',') < 0))
				return -ENOMEM;
			r = put_canonical(b, json_object_array_get_idx(o, i), false, depth + 1);
			if (r < 0)
				return r;
		}
		return hs_buf_putc(b, ']');
	}
	case json_type_object: {
		size_t n = (size_t)json_object_object_length(o), k = 0;
		_cleanup_free_ const char **keys = calloc(n ? n : 1, sizeof(*keys));
		bool first = true;

		if (!keys)
			return -ENOMEM;
		json_object_object_foreach(o, key, val) {
			(void)val;
			if (top && (strcmp(key, "secret") == 0 || strcmp(key, "binding") == 0 ||
				    strcmp(key, "status") == 0 || strcmp(key, "signature") == 0))
				continue;
			keys[k++] = key;
		}
		qsort(keys, k, sizeof(*keys), cmp_key);
		if (hs_buf_putc(b, '{') < 0)
			return -ENOMEM;
		for (size_t i = 0; i < k; i++) {
			struct json_object *v = json_object_object_get(o, keys[i]);
			int r;

			if ((!first && hs_buf_putc(b, ',') < 0) || put_json_string(b, keys[i], strlen(keys[i])) < 0 ||
			    hs_buf_putc(b, ':') < 0)
				return -ENOMEM;
			first = false;
			r = put_canonical(b, v, false, depth + 1);
			if (r < 0)
				return r;
		}
		return hs_buf_putc(b, '}');
	}
	}
	return -EINVAL;
}

char *hs_record_signable_text(struct json_object *record)
{
	_cleanup_buf_ hs_buf b = {0};

	if (!record || !json_object_is_type(record, json_type_object) || put_canonical(&b, record, true, 0) < 0)
		return NULL;
	return hs_buf_steal(&b);
}

