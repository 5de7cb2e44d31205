/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The LUKS half of `homesetup image inspect`: read the LUKS header of a home image at the partition's offset,
 * with libcryptsetup, without device-mapper, loop devices or any write to the image.
 *
 * libcryptsetup only loads a header that starts at offset 0 of its device, and has no read offset for that
 * (crypt_init_data_device() moves the *data*, crypt_set_data_offset() is for formatting). A loop device with
 * an offset would need root and change the system; so we hand it a copy instead:
 *
 *   - the two LUKS2 metadata copies (binary header + JSON area, 2 × hdr_size from the primary binary header;
 *     8 MiB when that field is damaged, so that libcryptsetup can still find a secondary copy at one of its
 *     standard offsets) are read from the image at the partition offset and written into a memfd;
 *   - the memfd is then ftruncate()d to 136 MiB, the largest metadata (2 × 4 MiB) plus keyslots area
 *     (128 MiB) LUKS2 allows: crypt_load() insists that the device is at least as large as the metadata and
 *     keyslots areas together ("Device … is too small"). The rest is a hole: it costs no memory, and the
 *     keyslots area, which holds the (encrypted) key material and is never read to load a header, is not
 *     copied at all;
 *   - crypt_init("/proc/self/fd/N") + crypt_load(CRYPT_LUKS) on that copy. Whatever libcryptsetup would
 *     write — crypt_load() repairs a damaged metadata copy from the good one when it can take its metadata
 *     lock — lands in the memfd, never in the image. On a regular file the lock is a flock() of the file
 *     itself, so nothing is created under /run/cryptsetup either.
 *
 * Tokens are read with crypt_token_json_get() only: crypt_token_status() may dlopen() a token plugin named
 * after the (untrusted) token type.
 *
 * libcryptsetup itself is loaded on first use (dl.c) and called through hs_cryptsetup.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <libcryptsetup.h>

#include "homesetupP.h"

#define LUKS_MAGIC_LEN 6
#define LUKS_BIN_HDR 4096
#define LUKS2_HDR_MIN (16u << 10)
#define LUKS2_HDR_MAX (4u << 20)
/* Largest LUKS2 metadata (2 × 4 MiB) plus the largest keyslots area (128 MiB). */
#define LUKS_COPY_SIZE ((uint64_t)(2 * LUKS2_HDR_MAX) + (128u << 20))
/* Token JSON keys kept, and their length in messages. */
#define TOKEN_KEYS_MAX 32
#define TOKEN_KEY_LEN 64
#define TOKEN_TYPE_LEN 128
/* libcryptsetup messages kept from one load. */
#define CRYPT_LOG_MAX 1024

static const char luks_magic[LUKS_MAGIC_LEN] = { 'L', 'U', 'K', 'S', (char)0xba, (char)0xbe };

static uint16_t be16(const unsigned char *p) { return (uint16_t)(p[0] << 8 | p[1]); }

static uint64_t be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* pread() until len bytes or the end; the number of bytes read, or a negative errno. */
static ssize_t read_at(int fd, void *buf, size_t len, uint64_t off)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* A NUL-padded fixed-size text field of a binary header, escaped (NULL when empty or on ENOMEM). */
static char *field_text(const unsigned char *p, size_t max)
{
	size_t n = strnlen((const char *)p, max);

	return n ? hs_escape((const char *)p, n, max) : NULL;
}

static char *escaped(const char *s, size_t max)
{
	return s ? hs_escape(s, strlen(s), max) : NULL;
}

void hs_image_token_done(hs_image_token *tok)
{
	if (!tok)
		return;
	free((char *)tok->type);
	hs_strv_free((char **)tok->keys);
	*tok = (hs_image_token){ 0 };
}

int hs_image_token_parse(const char *json, size_t len, hs_image_token *tok)
{
	struct json_tokener *jt = NULL;
	struct json_object *o = NULL, *v;
	char **keys = NULL;
	size_t nkeys = 0;
	bool record = false, iv = false;
	int r = 0;

	*tok = (hs_image_token){ .json_size = len };
	if (len > INT32_MAX)
		return 0;
	jt = json_tokener_new_ex(16);
	if (!jt)
		return -ENOMEM;
	o = json_tokener_parse_ex(jt, json, (int)len);
	if (!o || json_tokener_get_error(jt) != json_tokener_success || !json_object_is_type(o, json_type_object))
		goto out;

	json_object_object_foreach(o, key, val) {
		size_t klen = strlen(key);

		if (nkeys < TOKEN_KEYS_MAX) {
			_cleanup_free_ char *k = hs_escape(key, klen, TOKEN_KEY_LEN);

			if (!k || hs_strv_push(&keys, k, strlen(k)) < 0) {
				r = -ENOMEM;
				goto out;
			}
			nkeys++;
		}
		if (strcmp(key, "record") == 0)
			record = json_object_is_type(val, json_type_string);
		else if (strcmp(key, "iv") == 0)
			iv = json_object_is_type(val, json_type_string);
	}
	if (!keys) {
		keys = calloc(1, sizeof(*keys)); /* an empty object: an empty list */
		if (!keys) {
			r = -ENOMEM;
			goto out;
		}
	}
	if (json_object_object_get_ex(o, "type", &v) && json_object_is_type(v, json_type_string)) {
		const char *t = json_object_get_string(v);
		size_t tlen = (size_t)json_object_get_string_len(v);

		tok->type = hs_escape(t, tlen, TOKEN_TYPE_LEN);
		if (!tok->type) {
			r = -ENOMEM;
			goto out;
		}
		tok->homed = tlen == 13 && memcmp(t, "systemd-homed", 13) == 0;
	}
	if (tok->homed) {
		if (json_object_object_get_ex(o, "version", &v) && json_object_is_type(v, json_type_int) &&
		    json_object_get_int64(v) == 2)
			tok->version = 2;
		else if (record && iv)
			tok->version = 1;
	}
	tok->keys = (const char *const *)keys;
	keys = NULL;
out:
	hs_strv_free(keys);
	json_object_put(o);
	json_tokener_free(jt);
	if (r < 0)
		hs_image_token_done(tok);
	return r;
}

void hs_image_luks_done(hs_image_luks *luks)
{
	if (!luks)
		return;
	free((char *)luks->uuid);
	free((char *)luks->label);
	free((char *)luks->subsystem);
	free((char *)luks->cipher);
	free((char *)luks->cipher_mode);
	for (size_t i = 0; i < luks->n_keyslots; i++) {
		free((char *)luks->keyslots[i].pbkdf);
		free((char *)luks->keyslots[i].hash);
	}
	free((hs_image_keyslot *)luks->keyslots);
	for (size_t i = 0; i < luks->n_tokens; i++)
		hs_image_token_done((hs_image_token *)&luks->tokens[i]);
	free((hs_image_token *)luks->tokens);
	*luks = (hs_image_luks){ 0 };
}

/* libcryptsetup's log, kept (errors only) so that a refused header can say why; never printed. */
static void crypt_log_keep(int level, const char *msg, void *usrptr)
{
	hs_buf *b = usrptr;
	size_t n;

	if (level != CRYPT_LOG_ERROR || !msg || b->len >= CRYPT_LOG_MAX)
		return;
	n = strnlen(msg, CRYPT_LOG_MAX);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	if (n == 0)
		return;
	if (b->len)
		(void)hs_buf_puts(b, "; ");
	(void)hs_buf_append(b, msg, n);
}

static void crypt_freep(struct crypt_device **cd)
{
	if (*cd)
		hs_cryptsetup.crypt_free(*cd);
}

static void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

/* The fields of the binary header alone, for a header libcryptsetup refuses (LUKS2: UUID, label, subsystem at
 * their fixed offsets; LUKS1: UUID, cipher and mode). */
static int luks_from_binary(const unsigned char *h, size_t n, unsigned version, hs_image_luks *luks)
{
	luks->version = version;
	if (n < 256)
		return 0;
	if (version == 2) {
		luks->label = field_text(h + 24, 48);
		luks->uuid = field_text(h + 168, 40);
		luks->subsystem = field_text(h + 208, 48);
	} else if (version == 1) {
		luks->cipher = field_text(h + 8, 32);
		luks->cipher_mode = field_text(h + 40, 32);
		luks->uuid = field_text(h + 168, 40);
	}
	return 0;
}

static int luks_from_crypt(struct crypt_device *cd, hs_image_luks *luks)
{
	const char *type = hs_cryptsetup.crypt_get_type(cd);
	bool luks2 = type && strcmp(type, CRYPT_LUKS2) == 0;
	hs_image_keyslot *ks = NULL;
	hs_image_token *toks = NULL;
	int max, r;

	luks->version = luks2 ? 2 : 1;
	free((char *)luks->uuid);
	free((char *)luks->label);
	free((char *)luks->subsystem);
	free((char *)luks->cipher);
	free((char *)luks->cipher_mode);
	luks->uuid = escaped(hs_cryptsetup.crypt_get_uuid(cd), 40);
	luks->label = luks2 ? escaped(hs_cryptsetup.crypt_get_label(cd), 48) : NULL;
	luks->subsystem = luks2 ? escaped(hs_cryptsetup.crypt_get_subsystem(cd), 48) : NULL;
	luks->cipher = escaped(hs_cryptsetup.crypt_get_cipher(cd), 64);
	luks->cipher_mode = escaped(hs_cryptsetup.crypt_get_cipher_mode(cd), 64);
	r = hs_cryptsetup.crypt_get_volume_key_size(cd);
	luks->volume_key_size = r > 0 ? r : 0;
	if (luks2)
		(void)hs_cryptsetup.crypt_get_metadata_size(cd, &luks->metadata_size, &luks->keyslots_size);
	luks->data_offset = hs_cryptsetup.crypt_get_data_offset(cd) * 512u;
	r = hs_cryptsetup.crypt_get_sector_size(cd);
	luks->sector_size = r > 0 ? r : 512;

	max = hs_cryptsetup.crypt_keyslot_max(type);
	if (max > 0) {
		ks = calloc((size_t)max, sizeof(*ks));
		if (!ks)
			return -ENOMEM;
		luks->keyslots = ks;
		for (int i = 0; i < max; i++) {
			crypt_keyslot_info st = hs_cryptsetup.crypt_keyslot_status(cd, i);
			struct crypt_pbkdf_type pb = { 0 };
			hs_image_keyslot *k;

			if (st != CRYPT_SLOT_ACTIVE && st != CRYPT_SLOT_ACTIVE_LAST && st != CRYPT_SLOT_UNBOUND)
				continue;
			k = &ks[luks->n_keyslots++];
			k->slot = i;
			k->state = st == CRYPT_SLOT_UNBOUND ? "unbound" : "active";
			r = hs_cryptsetup.crypt_keyslot_get_key_size(cd, i);
			k->key_size = r > 0 ? r : 0;
			if (hs_cryptsetup.crypt_keyslot_get_pbkdf(cd, i, &pb) == 0 && pb.type) {
				bool argon = strncmp(pb.type, "argon2", 6) == 0;

				k->pbkdf = escaped(pb.type, 32);
				k->hash = argon ? NULL : escaped(pb.hash, 32);
				k->iterations = pb.iterations;
				k->memory_kb = argon ? pb.max_memory_kb : 0;
				k->parallel = argon ? pb.parallel_threads : 0;
				if (!k->pbkdf)
					return -ENOMEM;
			}
		}
	}

	max = luks2 ? hs_cryptsetup.crypt_token_max(CRYPT_LUKS2) : 0;
	if (max > 0) {
		toks = calloc((size_t)max, sizeof(*toks));
		if (!toks)
			return -ENOMEM;
		luks->tokens = toks;
		for (int i = 0; i < max; i++) {
			const char *json = NULL;

			if (hs_cryptsetup.crypt_token_json_get(cd, i, &json) < 0 || !json)
				continue;
			r = hs_image_token_parse(json, strlen(json), &toks[luks->n_tokens]);
			if (r < 0)
				return r;
			toks[luks->n_tokens++].id = i;
		}
	}
	return 0;
}

int hs_image_luks_read(hs_ctx *ctx, int fd, uint64_t offset, uint64_t avail, hs_image_luks *luks, char **why,
		       int *load_errno)
{
	_cleanup_(crypt_freep) struct crypt_device *cd = NULL;
	_cleanup_(closep) int copy = -1;
	_cleanup_buf_ hs_buf log = { 0 };
	_cleanup_free_ unsigned char *buf = NULL;
	unsigned char h[LUKS_BIN_HDR];
	char path[64];
	uint64_t want, hdr_size;
	unsigned version;
	ssize_t n;
	int r;

	*luks = (hs_image_luks){ .offset = offset };
	*why = NULL;
	*load_errno = 0;
	n = read_at(fd, h, avail < sizeof(h) ? (size_t)avail : sizeof(h), offset);
	if (n < 0)
		return hs_ctx_set_error(ctx, (int)n, "cannot read the LUKS header at offset %" PRIu64 ": %s", offset,
					strerror((int)-n));
	if ((size_t)n < 8 || memcmp(h, luks_magic, LUKS_MAGIC_LEN) != 0)
		return 0;
	version = be16(h + 6);
	r = luks_from_binary(h, (size_t)n, version, luks);
	if (r < 0)
		return r;
	if (version != 1 && version != 2) {
		*load_errno = EINVAL;
		*why = hs_strndup("unknown LUKS version", 20);
		return *why ? 1 : -ENOMEM;
	}

	hdr_size = (size_t)n >= 16 ? be64(h + 8) : 0;
	if (version == 1)
		want = LUKS_BIN_HDR;
	else if (hdr_size >= LUKS2_HDR_MIN && hdr_size <= LUKS2_HDR_MAX && (hdr_size & (hdr_size - 1)) == 0)
		want = 2 * hdr_size;
	else
		want = 2 * (uint64_t)LUKS2_HDR_MAX;
	if (want > avail)
		want = avail;

	/* libcryptsetup is loaded on first use (dl.c): without it, what the binary header says is all there is. */
	r = hs_dl_open(HS_DL_CRYPTSETUP, why);
	if (r == -EOPNOTSUPP) {
		*load_errno = EOPNOTSUPP;
		return 2;
	}
	if (r < 0)
		return r;

	buf = malloc((size_t)want);
	if (!buf)
		return -ENOMEM;
	n = read_at(fd, buf, (size_t)want, offset);
	if (n < 0)
		return hs_ctx_set_error(ctx, (int)n, "cannot read the LUKS header at offset %" PRIu64 ": %s", offset,
					strerror((int)-n));

	copy = memfd_create("homesetup-luks-header", MFD_CLOEXEC);
	if (copy < 0)
		return hs_ctx_set_error(ctx, -errno, "cannot make an in-memory copy of the LUKS header: memfd_create: %s",
					strerror(errno));
	for (size_t done = 0; done < (size_t)n;) {
		ssize_t w = write(copy, buf + done, (size_t)n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return hs_ctx_set_error(ctx, w < 0 ? -errno : -EIO,
						"cannot make an in-memory copy of the LUKS header: %s",
						strerror(w < 0 ? errno : EIO));
		done += (size_t)w;
	}
	if (ftruncate(copy, (off_t)LUKS_COPY_SIZE) < 0)
		return hs_ctx_set_error(ctx, -errno, "cannot make an in-memory copy of the LUKS header: %s",
					strerror(errno));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", copy);

	r = hs_cryptsetup.crypt_init(&cd, path);
	if (r < 0)
		return hs_ctx_set_error(ctx, r, "libcryptsetup cannot open the header copy %s (is /proc mounted?): %s",
					path, strerror(-r));
	hs_cryptsetup.crypt_set_log_callback(cd, crypt_log_keep, &log);
	r = hs_cryptsetup.crypt_load(cd, CRYPT_LUKS, NULL);
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		*load_errno = -r;
		if (log.len)
			*why = hs_escape(log.p, log.len, CRYPT_LOG_MAX);
		else
			*why = hs_strndup(strerror(-r), strlen(strerror(-r)));
		return *why ? 1 : -ENOMEM;
	}
	r = luks_from_crypt(cd, luks);
	if (r < 0)
		return r;
	return 1;
}
