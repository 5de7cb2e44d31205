/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * homesetup image inspect PATH|USER: a homed LUKS home image read offline and read-only (no loop device, no
 * device-mapper), with what homed would say about it. JSON as documented in doc/image-json.md.
 */
#include <getopt.h>
#include <inttypes.h>
#include <string.h>

#include "cli.h"

#define IMAGE_JSON_VERSION 1

void help_image(FILE *out)
{
	fprintf(out,
		"Usage: homesetup image inspect PATH|USER [--user NAME] [--json]\n"
		"\n"
		"Read a systemd-homed LUKS home image offline, as homed's activation reads it, and say what homed\n"
		"would say about it. The image is opened read-only and never written; no loop device or device-mapper\n"
		"mapping is set up, so it is safe on an image homed has open, and needs no root for a readable file.\n"
		"\n"
		"  PATH   the image: a file or a block device (an argument with a '/'; use ./FILE for a file in the\n"
		"         current directory), opened as given\n"
		"  USER   homed's default image of USER: /home/USER.home inside ROOT (--root)\n"
		"\n"
		"Shown: the partition table and the partition homed uses (GPT type\n"
		"773f91ef-66d4-49b5-bd83-d683bf40ad16 named after the user; UUID, offset, size), the LUKS2 header in it\n"
		"(UUID, label, subsystem, cipher and mode, volume key size, keyslots with their PBKDF, tokens and the\n"
		"systemd-homed token's format), the user.home-dirty attribute, and findings: what homed would refuse or\n"
		"trip over, with its own message and the fix.\n"
		"\n"
		"Options:\n"
		"      --user NAME  the user the image is for (default: USER, or NAME for a file NAME.home)\n"
		"      --json       the report as JSON (see doc/image-json.md)\n"
		"  -h, --help       this help\n"
		"\n"
		"Exit status: 0 a healthy homed image, 1 findings, 2 the image cannot be read or usage.\n");
}

static const char *status_tag(hs_check_status s)
{
	return s == HS_CHECK_FAIL ? "FAIL" : s == HS_CHECK_WARN ? "WARN" : "OK";
}

static const char *status_colour(hs_check_status s)
{
	return s == HS_CHECK_FAIL ? C_BAD : s == HS_CHECK_WARN ? C_WARN : C_GOOD;
}

/* "38.0 MiB" */
static const char *human_size(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0]))
		v /= 1024, u++;
	if (u == 0)
		snprintf(buf, len, "%" PRIu64 " B", n);
	else
		snprintf(buf, len, "%.1f %s", v, units[u]);
	return buf;
}

static void print_keyslot(const hs_image_keyslot *k)
{
	printf(" *     keyslot %d (%s, %d-bit key): ", k->slot, k->state, k->key_size * 8);
	if (!k->pbkdf)
		printf("PBKDF unknown\n");
	else if (strncmp(k->pbkdf, "argon2", 6) == 0)
		printf("%s, time cost %" PRIu32 ", memory %" PRIu32 " KiB, %" PRIu32 " thread%s\n", k->pbkdf,
		       k->iterations, k->memory_kb, k->parallel, k->parallel == 1 ? "" : "s");
	else
		printf("%s %s, %" PRIu32 " iterations\n", k->pbkdf, k->hash ? k->hash : "", k->iterations);
}

static void print_token(const hs_image_token *t)
{
	printf(" *     token %d: %s", t->id, t->type ? t->type : "(no type)");
	if (t->homed)
		printf(", %s", t->version == 1 ? "released format" : t->version == 2 ? "version 2 format" :
										     "unknown format");
	printf(" (");
	for (size_t i = 0; t->keys && t->keys[i]; i++)
		printf("%s%s", i ? ", " : "", t->keys[i]);
	printf("; %zu bytes)\n", t->json_size);
}

static void print_text(struct cli *cli, const hs_image_info *info)
{
	const hs_image_partition *home = hs_image_info_home_partition(info);
	const hs_image_luks *l = hs_image_info_luks(info);
	hs_check_status worst = hs_image_info_status(info);
	size_t nf = hs_image_info_finding_count(info), fails = 0;
	const char *good = cli_c(cli, C_GOOD), *reset = cli_c(cli, C_RESET), *bold = cli_c(cli, C_BOLD);
	int dirty = hs_image_info_dirty(info);
	char sz[32];

	printf(" %s*%s %s%s%s (%s, %s)", good, reset, bold, hs_image_info_path(info), reset, hs_image_info_device(info),
	       human_size(hs_image_info_size(info), sz, sizeof(sz)));
	if (hs_image_info_user(info))
		printf(" for user %s", hs_image_info_user(info));
	printf("\n");
	if (hs_image_info_table_type(info))
		printf(" %s*%s   partition table: %s%s%s\n", good, reset, hs_image_info_table_type(info),
		       hs_image_info_table_uuid(info) ? " " : "",
		       hs_image_info_table_uuid(info) ? hs_image_info_table_uuid(info) : "");
	if (hs_image_info_partitions_source(info) && strcmp(hs_image_info_partitions_source(info), "gpt") == 0)
		printf(" %s*%s   partitions read by homesetup from the primary GPT (libblkid rejected the table)\n",
		       good, reset);
	if (hs_image_info_superblock(info))
		printf(" %s*%s   at offset 0: %s\n", good, reset, hs_image_info_superblock(info));
	for (size_t i = 0; i < hs_image_info_partition_count(info); i++) {
		const hs_image_partition *p = hs_image_info_partition(info, i);

		printf(" %s*%s   partition %u \"%s\": type %s%s, uuid %s, offset %" PRIu64 ", size %" PRIu64 " (%s)%s%s%s\n",
		       good, reset, p->number, p->name ? p->name : "", p->type ? p->type : "?",
		       p->homed_type ? " (Linux user's home)" : "", p->uuid ? p->uuid : "-", p->offset, p->size,
		       human_size(p->size, sz, sizeof(sz)), p->content ? ", " : "", p->content ? p->content : "",
		       p == home ? " <- homed's" : "");
	}
	if (l) {
		printf(" %s*%s   LUKS%u at offset %" PRIu64 ": uuid %s", good, reset, l->version, l->offset,
		       l->uuid ? l->uuid : "-");
		if (l->version == 2)
			printf(", label \"%s\", subsystem \"%s\"", l->label ? l->label : "",
			       l->subsystem ? l->subsystem : "");
		printf("\n");
		if (l->cipher)
			printf(" %s*%s     cipher %s-%s, volume key %d bits, sector size %d, data at %" PRIu64 "\n",
			       good, reset, l->cipher, l->cipher_mode ? l->cipher_mode : "?", l->volume_key_size * 8,
			       l->sector_size, l->data_offset);
		for (size_t i = 0; i < l->n_keyslots; i++)
			print_keyslot(&l->keyslots[i]);
		for (size_t i = 0; i < l->n_tokens; i++)
			print_token(&l->tokens[i]);
	}
	printf(" %s*%s   user.home-dirty: %s\n", good, reset,
	       dirty > 0 ? "set" : dirty == 0 ? "not set" : "cannot tell (no user xattrs here)");

	for (size_t i = 0; i < nf; i++) {
		const hs_image_finding *f = hs_image_info_finding(info, i);

		fails += f->status == HS_CHECK_FAIL;
		printf("\n %s*%s %s%s%s %s [%s]\n", cli_c(cli, status_colour(f->status)), reset,
		       cli_c(cli, status_colour(f->status)), status_tag(f->status), reset, f->summary, f->id);
		if (f->homed)
			printf("   %shomed:%s %s\n", bold, reset, f->homed);
		if (f->fix)
			printf("   %sfix:%s %s\n", bold, reset, f->fix);
	}
	if (worst == HS_CHECK_OK)
		printf("\n %s*%s looks like a healthy homed image\n", good, reset);
	else
		printf("\n %s*%s %zu finding%s: %zu failed, %zu warning%s\n", cli_c(cli, status_colour(worst)), reset,
		       nf, nf == 1 ? "" : "s", fails, nf - fails, nf - fails == 1 ? "" : "s");
}

static struct json_object *json_u64(uint64_t v)
{
	return v <= INT64_MAX ? json_object_new_int64((int64_t)v) : json_object_new_uint64(v);
}

static struct json_object *json_luks(const hs_image_luks *l)
{
	struct json_object *o = json_object_new_object(), *ks, *toks;

	if (!o)
		return NULL;
	cli_json_add(o, "version", json_object_new_int((int)l->version));
	cli_json_add(o, "offset", json_u64(l->offset));
	cli_json_add(o, "uuid", cli_json_str(l->uuid));
	cli_json_add(o, "label", cli_json_str(l->label));
	cli_json_add(o, "subsystem", cli_json_str(l->subsystem));
	cli_json_add(o, "cipher", cli_json_str(l->cipher));
	cli_json_add(o, "cipher_mode", cli_json_str(l->cipher_mode));
	cli_json_add(o, "volume_key_size", json_object_new_int(l->volume_key_size));
	cli_json_add(o, "metadata_size", json_u64(l->metadata_size));
	cli_json_add(o, "keyslots_size", json_u64(l->keyslots_size));
	cli_json_add(o, "data_offset", json_u64(l->data_offset));
	cli_json_add(o, "sector_size", json_object_new_int(l->sector_size));
	ks = json_object_new_array();
	cli_json_add(o, "keyslots", ks);
	for (size_t i = 0; ks && i < l->n_keyslots; i++) {
		const hs_image_keyslot *k = &l->keyslots[i];
		struct json_object *e = json_object_new_object(), *kdf = json_object_new_object();

		if (!e || json_object_array_add(ks, e) < 0) {
			json_object_put(e);
			json_object_put(kdf);
			break;
		}
		cli_json_add(e, "slot", json_object_new_int(k->slot));
		cli_json_add(e, "state", cli_json_str(k->state));
		cli_json_add(e, "key_size", json_object_new_int(k->key_size));
		if (!kdf)
			continue;
		/* the names of the LUKS2 JSON metadata's "kdf" object */
		cli_json_add(kdf, "type", cli_json_str(k->pbkdf));
		if (k->pbkdf && strncmp(k->pbkdf, "argon2", 6) == 0) {
			cli_json_add(kdf, "time", json_object_new_int64(k->iterations));
			cli_json_add(kdf, "memory", json_object_new_int64(k->memory_kb));
			cli_json_add(kdf, "cpus", json_object_new_int64(k->parallel));
		} else {
			cli_json_add(kdf, "hash", cli_json_str(k->hash));
			cli_json_add(kdf, "iterations", json_object_new_int64(k->iterations));
		}
		cli_json_add(e, "kdf", kdf);
	}
	toks = json_object_new_array();
	cli_json_add(o, "tokens", toks);
	for (size_t i = 0; toks && i < l->n_tokens; i++) {
		const hs_image_token *t = &l->tokens[i];
		struct json_object *e = json_object_new_object(), *keys = json_object_new_array();

		if (!e || json_object_array_add(toks, e) < 0) {
			json_object_put(e);
			json_object_put(keys);
			break;
		}
		cli_json_add(e, "id", json_object_new_int(t->id));
		cli_json_add(e, "type", cli_json_str(t->type));
		cli_json_add(e, "homed", json_object_new_boolean(t->homed));
		cli_json_add(e, "version", t->homed && t->version ? json_object_new_int(t->version) : NULL);
		for (size_t k = 0; keys && t->keys && t->keys[k]; k++)
			json_object_array_add(keys, cli_json_str(t->keys[k]));
		cli_json_add(e, "keys", keys);
		cli_json_add(e, "json_size", json_u64(t->json_size));
	}
	return o;
}

static int print_json(struct cli *cli, const hs_image_info *info)
{
	_cleanup_json_ struct json_object *o = json_object_new_object();
	struct json_object *parts, *findings, *dirty;
	const hs_image_partition *home = hs_image_info_home_partition(info);
	const hs_image_luks *l = hs_image_info_luks(info);
	int d = hs_image_info_dirty(info);

	if (!o)
		return -1;
	cli_json_add(o, "version", json_object_new_int(IMAGE_JSON_VERSION));
	cli_json_add(o, "path", cli_json_str(hs_image_info_path(info)));
	cli_json_add(o, "user", cli_json_str(hs_image_info_user(info)));
	cli_json_add(o, "device", cli_json_str(hs_image_info_device(info)));
	cli_json_add(o, "size", json_u64(hs_image_info_size(info)));
	cli_json_add(o, "status", cli_json_str(status_tag(hs_image_info_status(info))));
	dirty = json_object_new_object();
	cli_json_add(o, "dirty", dirty);
	if (dirty) {
		cli_json_add(dirty, "xattr", cli_json_str("user.home-dirty"));
		cli_json_add(dirty, "set", d >= 0 ? json_object_new_boolean(d > 0) : NULL);
	}
	cli_json_add(o, "table_type", cli_json_str(hs_image_info_table_type(info)));
	cli_json_add(o, "table_uuid", cli_json_str(hs_image_info_table_uuid(info)));
	cli_json_add(o, "superblock", cli_json_str(hs_image_info_superblock(info)));
	cli_json_add(o, "partitions_source", cli_json_str(hs_image_info_partitions_source(info)));
	parts = json_object_new_array();
	cli_json_add(o, "partitions", parts);
	for (size_t i = 0; parts && i < hs_image_info_partition_count(info); i++) {
		const hs_image_partition *p = hs_image_info_partition(info, i);
		struct json_object *e = json_object_new_object();

		if (!e || json_object_array_add(parts, e) < 0) {
			json_object_put(e);
			break;
		}
		cli_json_add(e, "number", json_object_new_int((int)p->number));
		cli_json_add(e, "type", cli_json_str(p->type));
		cli_json_add(e, "name", cli_json_str(p->name));
		cli_json_add(e, "uuid", cli_json_str(p->uuid));
		cli_json_add(e, "offset", json_u64(p->offset));
		cli_json_add(e, "size", json_u64(p->size));
		cli_json_add(e, "homed_type", json_object_new_boolean(p->homed_type));
		cli_json_add(e, "content", cli_json_str(p->content));
	}
	cli_json_add(o, "home_partition", home ? json_object_new_int((int)home->number) : NULL);
	cli_json_add(o, "luks", l ? json_luks(l) : NULL);
	findings = json_object_new_array();
	cli_json_add(o, "findings", findings);
	for (size_t i = 0; findings && i < hs_image_info_finding_count(info); i++) {
		const hs_image_finding *f = hs_image_info_finding(info, i);
		struct json_object *e = json_object_new_object();

		if (!e || json_object_array_add(findings, e) < 0) {
			json_object_put(e);
			break;
		}
		cli_json_add(e, "id", cli_json_str(f->id));
		cli_json_add(e, "status", cli_json_str(status_tag(f->status)));
		cli_json_add(e, "summary", cli_json_str(f->summary));
		cli_json_add(e, "homed", cli_json_str(f->homed));
		cli_json_add(e, "fix", cli_json_str(f->fix));
	}
	return cli_json_print(o, true);
}

static void image_info_freep(hs_image_info **p)
{
	hs_image_info_free(*p);
}

static int image_inspect(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_(image_info_freep) hs_image_info *info = NULL;
	const char *user = NULL, *target;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			user = optarg;
			break;
		case 'h':
			help_image(stdout);
			return EXIT_OK;
		default:
			return cli_option_error(cli, "image inspect", c, argv);
		}
	}
	if (optind + 1 != argc)
		return cli_error(cli, "image inspect needs one image path or user name (see 'homesetup help image')");
	target = argv[optind];
	if (!*target)
		return cli_error(cli, "image inspect: empty image path or user name");
	if (user && !*user)
		return cli_error(cli, "option --user needs a user name");

	if (strchr(target, '/'))
		r = hs_image_inspect(cli->ctx, &info, target, user);
	else if (user && strcmp(user, target) != 0)
		return cli_error(cli, "image inspect %s: --user %s names another user; give the image's path instead",
				 target, user);
	else
		r = hs_image_inspect_user(cli->ctx, &info, target);
	if (r < 0)
		return cli_lib_error(cli, EXIT_USAGE, "image inspect");

	if (cli->json) {
		if (print_json(cli, info) < 0)
			return cli_error(cli, "out of memory");
	} else
		print_text(cli, info);
	return cli_finish(cli, hs_image_info_status(info) == HS_CHECK_OK ? EXIT_OK : EXIT_NEEDS_ACTION);
}

int cmd_image(struct cli *cli, int argc, char **argv)
{
	if (argc < 2) {
		help_image(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(argv[1], "inspect") == 0)
		return image_inspect(cli, argc - 1, argv + 1);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		help_image(stdout);
		return EXIT_OK;
	}
	return cli_error(cli, "unknown image command '%s' (known: inspect)", argv[1]);
}
