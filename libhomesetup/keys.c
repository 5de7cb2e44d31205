/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The `keys` checks: the key pair homed signs user records with, and the public keys it trusts.
 *
 * From src/home/homed-manager.c (manager_load_key_pair, manager_generate_key_pair, manager_load_public_key_one):
 *  - the private key is "local.private", looked for in /etc/systemd/home, /run/systemd/home,
 *    /var/lib/systemd/home, /usr/local/lib/systemd/home, /usr/lib/systemd/home (KEY_PATHS_NULSTR), first found
 *    wins. It must be a regular file owned by root with no group or other permission bits ((mode & 0077) == 0),
 *    else homed logs "Private key file is readable by more than the root user" and does not start; a file
 *    OpenSSL cannot parse stops it too ("Failed to load private key pair").
 *  - the pair is generated when homed first needs to sign a record (creating the first home), not when it first
 *    starts: both files are written to /var/lib/systemd/home through fopen_temporary(), i.e. mode 0600.
 *    homed never reads local.public ("we only do that as a help to the user").
 *  - every other "*.public" in those directories is a trusted key for homes from other machines; one that is not
 *    owned by root, or is writable by group or others ((mode & 0022) != 0), is refused ("Public key file %s is
 *    writable by more than the root user, refusing.").
 * The Gentoo wiki names the files "private.local" and "public.local"; homed never looks at those names.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "homesetupP.h"

static const char *const key_dirs[] = {
	"/etc/systemd/home", "/run/systemd/home", "/var/lib/systemd/home", "/usr/local/lib/systemd/home",
	"/usr/lib/systemd/home", NULL,
};
static const char state_dir[] = "/var/lib/systemd/home";

/* Does the file start with the PEM header @begin? Only the first bytes are read (and wiped). -errno if unreadable. */
static int pem_header(hs_ctx *ctx, const char *path, const char *begin)
{
	char head[64] = {0};
	ssize_t n;
	int fd = hs_root_open(ctx, HS_ROOT_SYS, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	int r;

	if (fd < 0)
		return fd;
	do
		n = read(fd, head, sizeof(head) - 1);
	while (n < 0 && errno == EINTR);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r == 0) {
		const char *p = head;

		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		r = strncmp(p, begin, strlen(begin)) == 0;
	}
	explicit_bzero(head, sizeof(head));
	return r;
}

static int lstat_in_root(hs_ctx *ctx, const char *path, struct stat *st)
{
	_cleanup_free_ char *dir = strdup(path);
	char *slash;
	int fd, r;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	*slash = '\0';
	fd = hs_root_open(ctx, HS_ROOT_SYS, *dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fd;
	r = fstatat(fd, slash + 1, st, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
	close(fd);
	return r;
}

/* How homed would judge a key file: NULL when acceptable, else the reason (static). */
static const char *key_problem(const struct stat *st, bool private_key)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != 0)
		return "not owned by root";
	if (private_key && (st->st_mode & 0077))
		return "readable or writable by group or others";
	if (!private_key && (st->st_mode & 0022))
		return "writable by group or others";
	return NULL;
}

/* The "*.identity" records in /var/lib/systemd/home: homes homed has registered. */
static int count_identities(hs_ctx *ctx, size_t *n)
{
	struct dirent *de;
	DIR *d;
	int fd = hs_root_open(ctx, HS_ROOT_SYS, state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	*n = 0;
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l > 9 && strcmp(de->d_name + l - 9, ".identity") == 0)
			(*n)++;
	}
	closedir(d);
	return 0;
}

static int check_local(hs_checker *c)
{
	hs_ctx *ctx = hs_checker_ctx(c);
	_cleanup_free_ char *priv = NULL, *wiki_priv = NULL, *wiki_pub = NULL, *fix = NULL;
	_cleanup_buf_ hs_buf detail = {0};
	struct stat st, dst;
	unsigned priv_mode;
	bool have_dir;
	int r;

	have_dir = hs_root_stat(ctx, HS_ROOT_SYS, state_dir, &dst) == 0 && S_ISDIR(dst.st_mode);
	/* the wiki's names */
	{
		static const char *const sd[] = { state_dir, NULL };

		r = hs_probe_find_file(ctx, sd, "private.local", &wiki_priv);
		if (r == -ENOMEM)
			return r;
		r = hs_probe_find_file(ctx, sd, "public.local", &wiki_pub);
		if (r == -ENOMEM)
			return r;
		if (wiki_priv || wiki_pub) {
			r = hs_buf_printf(&detail, "%s%s%s%s: these names come from the Gentoo wiki and are never read by "
					  "systemd-homed, whose files are local.private and local.public",
					  wiki_priv ? wiki_priv : "", wiki_priv && wiki_pub ? " and " : "",
					  wiki_pub ? wiki_pub : "", "");
			if (r < 0)
				return r;
		}
	}
	/* the private key: first of the key directories that has one, whatever its type */
	for (size_t i = 0; key_dirs[i] && !priv; i++) {
		_cleanup_free_ char *p = NULL;

		if (asprintf(&p, "%s/local.private", key_dirs[i]) < 0)
			return -ENOMEM;
		r = hs_root_stat(ctx, HS_ROOT_SYS, p, &st);
		if (r == 0)
			priv = TAKE_PTR(p);
		else if (r != -ENOENT && r != -ENOTDIR)
			return hs_checker_add(c, "keys.local", HS_CHECK_SKIP, NULL, hs_ctx_last_error(ctx),
					      "cannot look at %s", p);
	}
	if (!priv) {
		size_t n_id = 0;

		if (wiki_priv) {
			if (asprintf(&fix, "mv %s %s/local.private && chown root:root %s/local.private && chmod 0600 "
				     "%s/local.private && systemctl restart systemd-homed", wiki_priv, state_dir, state_dir,
				     state_dir) < 0)
				return -ENOMEM;
			return hs_checker_add(c, "keys.local", HS_CHECK_WARN, fix, detail.p, "a private key is stored "
					      "as %s, a name homed does not read", wiki_priv);
		}
		if (!have_dir)
			return hs_checker_add(c, "keys.local", HS_CHECK_OK, NULL, detail.len ? detail.p : NULL,
					      "no signing key yet: homed has not run here; it creates %s/local.private "
					      "and local.public when it creates the first home", state_dir);
		r = count_identities(ctx, &n_id);
		if (r == -ENOMEM)
			return r;
		if (n_id > 0)
			return hs_checker_add(c, "keys.local", HS_CHECK_WARN, "restore local.private (and local.public) "
					      "into /var/lib/systemd/home from a backup; if it is lost, copy the old "
					      "local.public to /var/lib/systemd/home/old-local.public so that existing homes "
					      "stay trusted", detail.len ? detail.p : NULL,
					      "%zu home record%s in %s but no local.private: homed will sign with a new key "
					      "and the old records are then signed by a key it does not know", n_id,
					      n_id == 1 ? "" : "s", state_dir);
		return hs_checker_add(c, "keys.local", HS_CHECK_OK, NULL, detail.len ? detail.p : NULL,
				      "no signing key yet: homed creates %s/local.private and local.public when it "
				      "creates the first home", state_dir);
	}

	priv_mode = (unsigned)(st.st_mode & 07777);
	/* homed opens it following symlinks, then checks what it opened */
	{
		const char *why = key_problem(&st, true);

		if (why) {
			if (asprintf(&fix, "chown root:root %s && chmod 0600 %s && systemctl restart systemd-homed", priv,
				     priv) < 0)
				return -ENOMEM;
			if (hs_buf_printf(&detail, "%s%s: owner uid %u, mode %04o; homed requires a regular file owned "
					  "by root with no group or other permissions", detail.len ? "\n" : "", priv,
					  (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777)) < 0)
				return -ENOMEM;
			return hs_checker_add(c, "keys.local", HS_CHECK_FAIL, S_ISREG(st.st_mode) ? fix :
					      "replace it with the private key file itself (a regular file)", detail.p,
					      "%s is %s: systemd-homed refuses to start (\"Private key file is readable by "
					      "more than the root user\")", priv, why);
		}
	}
	r = pem_header(ctx, priv, "-----BEGIN PRIVATE KEY-----");
	if (r == -ENOMEM)
		return r;
	if (r == 0) {
		if (asprintf(&fix, "restore %s from a backup (homed writes it as a PKCS#8 PEM file starting with "
			     "\"-----BEGIN PRIVATE KEY-----\")", priv) < 0)
			return -ENOMEM;
		return hs_checker_add(c, "keys.local", HS_CHECK_FAIL, fix, detail.len ? detail.p : NULL,
				      "%s is not a PEM private key: systemd-homed does not start (\"Failed to load "
				      "private key pair\")", priv);
	}
	if (r < 0 && hs_buf_printf(&detail, "%s%s: contents not checked (%s)", detail.len ? "\n" : "", priv,
				   strerror(-r)) < 0)
		return -ENOMEM;

	/* local.public: only a copy for the admin, homed does not read it */
	{
		_cleanup_free_ char *pub = NULL;
		char *slash;

		pub = strdup(priv);
		if (!pub)
			return -ENOMEM;
		slash = strrchr(pub, '/');
		strcpy(slash + 1, "local.public"); /* same length as "local.private" minus one */
		r = lstat_in_root(ctx, pub, &st);
		if (r == -ENOENT) {
			if (hs_buf_printf(&detail, "%s%s is missing; homed does not need it, but other machines do to "
					  "trust these homes: openssl pkey -in %s -pubout -out %s", detail.len ? "\n" : "",
					  pub, priv, pub) < 0)
				return -ENOMEM;
		} else if (r == 0 && key_problem(&st, false)) {
			if (asprintf(&fix, "chown root:root %s && chmod 0644 %s", pub, pub) < 0)
				return -ENOMEM;
			return hs_checker_add(c, "keys.local", HS_CHECK_WARN, fix, detail.len ? detail.p : NULL,
					      "%s is %s (homed does not read it, but it is what other machines are "
					      "given to trust these homes)", pub, key_problem(&st, false));
		}
	}
	if (wiki_priv || wiki_pub) {
		if (asprintf(&fix, "rm %s%s%s   (after checking they are stale copies)", wiki_priv ? wiki_priv : "",
			     wiki_priv && wiki_pub ? " " : "", wiki_pub ? wiki_pub : "") < 0)
			return -ENOMEM;
		return hs_checker_add(c, "keys.local", HS_CHECK_WARN, fix, detail.p, "signing key %s is fine, but "
				      "files with the wiki's wrong names are lying next to it", priv);
	}
	return hs_checker_add(c, "keys.local", HS_CHECK_OK, NULL, detail.len ? detail.p : NULL,
			      "signing key %s: root-owned, mode %04o", priv, priv_mode);
}

static int check_foreign(hs_checker *c)
{
	hs_ctx *ctx = hs_checker_ctx(c);
	_cleanup_(hs_strv_freep) char **names = calloc(1, sizeof(char *));
	_cleanup_buf_ hs_buf detail = {0}, fix = {0};
	size_t n_ok = 0, n_bad = 0;
	_cleanup_free_ char *first_bad = NULL;
	int r = 0;

	if (!names)
		return -ENOMEM;
	for (size_t i = 0; key_dirs[i]; i++) {
		struct dirent *de;
		DIR *d;
		int fd = hs_root_open(ctx, HS_ROOT_SYS, key_dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd == -ENOENT || fd == -ENOTDIR)
			continue;
		if (fd < 0)
			return hs_checker_add(c, "keys.foreign", HS_CHECK_SKIP, NULL, hs_ctx_last_error(ctx),
					      "cannot list %s", key_dirs[i]);
		d = fdopendir(fd);
		if (!d) {
			r = -errno;
			close(fd);
			if (r == -ENOMEM)
				return r;
			return hs_checker_add(c, "keys.foreign", HS_CHECK_SKIP, NULL, strerror(-r), "cannot list %s",
					      key_dirs[i]);
		}
		while ((de = readdir(d))) {
			_cleanup_free_ char *p = NULL;
			size_t l = strlen(de->d_name);
			bool masked = false;
			struct stat st;
			const char *why;

			if (de->d_name[0] == '.' || l <= 7 || strcmp(de->d_name + l - 7, ".public") != 0 ||
			    strcmp(de->d_name, "local.public") == 0)
				continue;
			for (size_t k = 0; names[k] && !masked; k++)
				masked = strcmp(names[k], de->d_name) == 0;
			if (masked)
				continue;
			r = hs_strv_push(&names, de->d_name, l);
			if (r < 0 || asprintf(&p, "%s/%s", key_dirs[i], de->d_name) < 0) {
				closedir(d);
				return -ENOMEM;
			}
			if (hs_root_stat(ctx, HS_ROOT_SYS, p, &st) < 0) {
				/* a dangling link or /dev/null mask: not a key */
				hs_ctx_clear_error(ctx);
				continue;
			}
			if (S_ISCHR(st.st_mode))
				continue; /* masked with /dev/null (CONF_FILES_FILTER_MASKED) */
			why = key_problem(&st, false);
			if (!why) {
				r = pem_header(ctx, p, "-----BEGIN PUBLIC KEY-----");
				if (r == -ENOMEM) {
					closedir(d);
					return r;
				}
				if (r == 0)
					why = "not a PEM public key (\"Failed to parse public key file\")";
			}
			r = hs_buf_printf(&detail, "%s%s: %s", detail.len ? "\n" : "", p, why ? why : "trusted");
			if (r >= 0 && why) {
				n_bad++;
				if (!first_bad)
					first_bad = TAKE_PTR(p);
				{
					const char *kp = p ? p : first_bad;

					if (S_ISREG(st.st_mode) && !strstr(why, "PEM"))
						r = hs_buf_printf(&fix, "%schown root:root %s && chmod 0644 %s",
								  fix.len ? "\n" : "", kp, kp);
					else
						r = hs_buf_printf(&fix, "%sreplace %s with the other machine's "
								  "local.public (a regular PEM file)",
								  fix.len ? "\n" : "", kp);
				}
			} else if (r >= 0) {
				n_ok++;
			}
			if (r < 0) {
				closedir(d);
				return r;
			}
		}
		closedir(d);
	}
	hs_ctx_clear_error(ctx);
	if (n_bad)
		return hs_checker_add(c, "keys.foreign", HS_CHECK_FAIL, fix.p, detail.p, "%zu public key%s homed "
				      "refuses to trust (first: %s): homes signed by %s cannot log in here", n_bad,
				      n_bad == 1 ? "" : "s", first_bad, n_bad == 1 ? "it" : "them");
	if (n_ok)
		return hs_checker_add(c, "keys.foreign", HS_CHECK_OK, NULL, detail.p, "%zu public key%s of other "
				      "machines trusted for their homes", n_ok, n_ok == 1 ? "" : "s");
	return hs_checker_add(c, "keys.foreign", HS_CHECK_OK, NULL, "to use homes created on another machine, copy "
			      "its /var/lib/systemd/home/local.public here as /var/lib/systemd/home/<name>.public "
			      "(root-owned, mode 0644)", "no public keys of other machines (none needed for homes "
			      "created here)");
}

int hs_check_group_keys(hs_checker *c)
{
	int r = 0;

	if (hs_checker_wants(c, "keys.local"))
		r = check_local(c);
	if (r >= 0 && hs_checker_wants(c, "keys.foreign"))
		r = check_foreign(c);
	return r;
}
