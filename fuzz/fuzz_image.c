/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fuzz_image: the image prober of `homesetup image inspect` (libhomesetup/image.c, image_luks.c) on mutated
 * GPT and LUKS headers.
 *
 * Input: one flag byte, then the image.
 *   bit 0  recompute the GPT CRCs (primary header and entries at LBA 1, backup header at its alternate LBA)
 *          after mutation, so that mutations reach libblkid's partition list and our checks behind the CRCs;
 *   bit 1  recompute the SHA-256 checksum of every LUKS2 binary header found (512-byte aligned "LUKS\xba\xbe" or
 *          "SKUL\xba\xbe" with checksum algorithm "sha256"), so that mutated JSON reaches libcryptsetup's
 *          validation and our keyslot and token code;
 *   bit 2  inspect it for user "alice" (else: no user);
 *   bit 3  also run the token analyser on the image bytes as JSON.
 * The image is written into a memfd and inspected as /proc/self/fd/N, as a user's file would be.
 *
 * Invariants (abort() when broken): the prober returns 0 on every image (findings, never errors); every
 * finding has an id, a summary and a WARN/FAIL status, and the status is OK exactly when there is none; the
 * home partition is one of the partitions; keyslot and token counts are within LUKS2's 32; after a run no
 * descriptor of the image or of the prober's memfd header copy is left open; ASan/UBSan/LSan check the rest.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <zlib.h>

#include "homesetupP.h"

/* ---- SHA-256 (FIPS 180-4), only to re-seal mutated LUKS2 headers ------------------------------------ */
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

static uint32_t ror(uint32_t x, unsigned n) { return x >> n | x << (32 - n); }

static void sha256_block(uint32_t h[8], const unsigned char *p)
{
	uint32_t w[64], a[8];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++)
		w[i] = w[i - 16] + (ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ w[i - 15] >> 3) + w[i - 7] +
		       (ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ w[i - 2] >> 10);
	memcpy(a, h, sizeof(a));
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = a[7] + (ror(a[4], 6) ^ ror(a[4], 11) ^ ror(a[4], 25)) + ((a[4] & a[5]) ^ (~a[4] & a[6])) +
			      sha_k[i] + w[i];
		uint32_t t2 = (ror(a[0], 2) ^ ror(a[0], 13) ^ ror(a[0], 22)) + ((a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]));

		memmove(a + 1, a, 7 * sizeof(a[0]));
		a[4] += t1;
		a[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		h[i] += a[i];
}

static void sha256(const unsigned char *p, size_t len, unsigned char out[32])
{
	uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	unsigned char last[128] = { 0 };
	size_t full = len / 64 * 64, rest = len - full, n;
	uint64_t bits = (uint64_t)len * 8;

	for (size_t i = 0; i < full; i += 64)
		sha256_block(h, p + i);
	memcpy(last, p + full, rest);
	last[rest] = 0x80;
	n = rest + 1 + 8 <= 64 ? 64 : 128;
	for (int i = 0; i < 8; i++)
		last[n - 1 - i] = (unsigned char)(bits >> (8 * i));
	for (size_t i = 0; i < n; i += 64)
		sha256_block(h, last + i);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (unsigned char)(h[i] >> (24 - 8 * j));
}

/* ---- re-sealing ---------------------------------------------------------------------------------------- */
static uint32_t rd32(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const unsigned char *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }
static void wr32(unsigned char *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i)); }

static void fix_gpt_at(unsigned char *img, size_t len, uint64_t lba)
{
	unsigned char *h;
	uint32_t hs;
	uint64_t elba, esz;

	if (lba > len / 512 - 1 || len < 512)
		return;
	h = img + lba * 512;
	if (memcmp(h, "EFI PART", 8) != 0)
		return;
	hs = rd32(h + 12);
	elba = rd64(h + 72);
	esz = (uint64_t)rd32(h + 80) * rd32(h + 84);
	if (elba < len / 512 && esz <= len - elba * 512)
		wr32(h + 88, (uint32_t)crc32(0L, img + elba * 512, (uInt)esz));
	if (hs < 92 || hs > 512)
		return;
	wr32(h + 16, 0);
	wr32(h + 16, (uint32_t)crc32(0L, h, hs));
}

static void fix_gpt(unsigned char *img, size_t len)
{
	fix_gpt_at(img, len, 1);
	if (len >= 1024 && memcmp(img + 512, "EFI PART", 8) == 0)
		fix_gpt_at(img, len, rd64(img + 512 + 32));
}

static void fix_luks(unsigned char *img, size_t len)
{
	for (size_t off = 0; off + 4096 <= len; off += 512) {
		unsigned char *h = img + off, sum[32];
		uint64_t size = 0;

		if ((memcmp(h, "LUKS\xba\xbe", 6) != 0 && memcmp(h, "SKUL\xba\xbe", 6) != 0) || h[6] != 0 || h[7] != 2 ||
		    strncmp((const char *)h + 72, "sha256", 32) != 0)
			continue;
		for (int i = 0; i < 8; i++)
			size = size << 8 | h[8 + i];
		if (size < 4096 || size > len - off)
			continue;
		memset(h + 448, 0, 64);
		sha256(h, (size_t)size, sum);
		memcpy(h + 448, sum, 32);
	}
}

/* ---- the target ----------------------------------------------------------------------------------------- */
static void touch(const char *s)
{
	if (s && strlen(s) > (1u << 30))
		abort();
}

/* Is a descriptor of the image or of the prober's header copy still open? (Numbers alone cannot tell: the
 * sanitizers' and libcryptsetup's own descriptors come and go between runs.) */
static bool leaked_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	bool leak = false;

	if (!d)
		abort();
	while ((de = readdir(d)) && !leak) {
		char link[256];
		ssize_t n = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);

		if (n <= 0)
			continue;
		link[n] = '\0';
		leak = strstr(link, "memfd:fuzz-image") || strstr(link, "memfd:homesetup-luks-header");
	}
	closedir(d);
	return leak;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hs_ctx *ctx = NULL;
	hs_image_info *info = NULL;
	unsigned char *img;
	uint8_t flags;
	char path[64];
	size_t len;
	int fd, r;

	if (size < 1 || size > (8u << 20))
		return 0;
	flags = data[0];
	len = size - 1;
	img = malloc(len ? len : 1);
	if (!img)
		return 0;
	memcpy(img, data + 1, len);
	if (flags & 1)
		fix_gpt(img, len);
	if (flags & 2)
		fix_luks(img, len);
	if (flags & 8) {
		hs_image_token tok;

		if (hs_image_token_parse((const char *)data + 1, len, &tok) == 0) {
			touch(tok.type);
			for (size_t i = 0; tok.keys && tok.keys[i]; i++)
				touch(tok.keys[i]);
			if (tok.keys && hs_strv_length((char **)tok.keys) > 32)
				abort();
			hs_image_token_done(&tok);
		}
	}

	fd = memfd_create("fuzz-image", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, img + done, len - done);

		if (w <= 0)
			abort();
		done += (size_t)w;
	}
	free(img);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	if (hs_ctx_new(&ctx) < 0)
		abort();
	r = hs_image_inspect(ctx, &info, path, (flags & 4) ? "alice" : NULL);
	if (r == -ENOMEM) {
		close(fd);
		hs_ctx_free(ctx);
		return 0;
	}
	if (r != 0 || !info)
		abort(); /* a readable image is never an error */
	{
		size_t np = hs_image_info_partition_count(info), nf = hs_image_info_finding_count(info);
		const hs_image_partition *home = hs_image_info_home_partition(info);
		const hs_image_luks *l = hs_image_info_luks(info);
		bool home_found = home == NULL;

		touch(hs_image_info_path(info));
		touch(hs_image_info_user(info));
		touch(hs_image_info_table_type(info));
		touch(hs_image_info_table_uuid(info));
		touch(hs_image_info_superblock(info));
		for (size_t i = 0; i < np; i++) {
			const hs_image_partition *p = hs_image_info_partition(info, i);

			touch(p->type), touch(p->name), touch(p->uuid), touch(p->content);
			home_found |= p == home;
		}
		if (!home_found || hs_image_info_size(info) != len)
			abort();
		if (l) {
			if (l->n_keyslots > 32 || l->n_tokens > 32)
				abort();
			touch(l->uuid), touch(l->label), touch(l->subsystem), touch(l->cipher), touch(l->cipher_mode);
			for (size_t i = 0; i < l->n_keyslots; i++)
				touch(l->keyslots[i].state), touch(l->keyslots[i].pbkdf), touch(l->keyslots[i].hash);
			for (size_t i = 0; i < l->n_tokens; i++) {
				touch(l->tokens[i].type);
				for (size_t k = 0; l->tokens[i].keys && l->tokens[i].keys[k]; k++)
					touch(l->tokens[i].keys[k]);
			}
		}
		for (size_t i = 0; i < nf; i++) {
			const hs_image_finding *f = hs_image_info_finding(info, i);

			if (!f->id || !f->summary || (f->status != HS_CHECK_WARN && f->status != HS_CHECK_FAIL))
				abort();
			touch(f->homed), touch(f->fix);
		}
		if ((hs_image_info_status(info) == HS_CHECK_OK) != (nf == 0))
			abort();
	}
	hs_image_info_free(info);
	hs_ctx_free(ctx);
	close(fd);
	if (leaked_fd())
		abort();
	return 0;
}
