/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `homesetup move-plan USER`: the steps of moving a home to another machine, from systemd-homed.service(8)
 * ("Key Management": copy local.public as <host>.public to log in, both keys to change the record too) and the
 * Gentoo wiki's "moving to a new system" with the key files under their real names, plus the Portage side the wiki
 * mentions: the world file (/var/lib/portage/world) and /etc/portage. The image path and UID come from the record
 * under ROOT when it is readable. Nothing is run.
 */
#include <stdio.h>

#include "homesetupP.h"

#define KEY_DIR "/var/lib/systemd/home"

/* ---- the move plan ------------------------------------------------------------------------------------------ */

typedef struct move_step {
	hs_move_step pub;
	char *title, *commands, *note;
} move_step;

struct hs_move_plan {
	move_step *v;
	size_t n;
	char *image;
	unsigned uid;
	char **notes;
};

void hs_move_plan_free(hs_move_plan *plan)
{
	if (!plan)
		return;
	for (size_t i = 0; i < plan->n; i++) {
		free(plan->v[i].title);
		free(plan->v[i].commands);
		free(plan->v[i].note);
	}
	free(plan->v);
	free(plan->image);
	hs_strv_free(plan->notes);
	free(plan);
}
DEFINE_CLEANUP_FUNC(hs_move_plan, hs_move_plan_free);

static int step(hs_move_plan *p, const char *where, const char *title, const char *note, const char *fmt, ...)
	_printf_(5, 6);
static int step(hs_move_plan *p, const char *where, const char *title, const char *note, const char *fmt, ...)
{
	move_step *nv = realloc(p->v, (p->n + 1) * sizeof(*nv)), *s;
	va_list ap;
	int r;

	if (!nv)
		return -ENOMEM;
	p->v = nv;
	s = &nv[p->n];
	memset(s, 0, sizeof(*s));
	va_start(ap, fmt);
	r = vasprintf(&s->commands, fmt, ap);
	va_end(ap);
	s->title = strdup(title);
	s->note = note ? strdup(note) : NULL;
	if (r < 0 || !s->title || (note && !s->note)) {
		if (r >= 0)
			free(s->commands);
		free(s->title);
		free(s->note);
		return -ENOMEM;
	}
	s->pub = (hs_move_step){ .where = where, .title = s->title, .commands = s->commands, .note = s->note };
	p->n++;
	return 0;
}

int hs_move_plan_new(hs_ctx *ctx, hs_move_plan **out, const char *user)
{
	_cleanup_(hs_move_plan_freep) hs_move_plan *p = calloc(1, sizeof(*p));
	_cleanup_(hs_home_record_done) hs_home_record rec = {0};
	_cleanup_free_ char *uid_check = NULL;
	const char *u = user, *image;
	int r;

	*out = NULL;
	if (!p)
		return -ENOMEM;
	if (!user || !hs_doctor_name_ok(user, strlen(user)))
		return hs_ctx_set_error(ctx, -EINVAL, "invalid user name '%s': homed user names are letters, digits, "
					"'_', '.', '-' (and '@realm')", user ? user : "");
	r = hs_home_record_load(ctx, user, &rec);
	if (r < 0)
		return r;
	if (r == 0) {
		_cleanup_free_ char *n = NULL;

		if (asprintf(&p->image, "/home/%s.home", user) < 0 ||
		    asprintf(&n, "no readable record of %s in " KEY_DIR "/%s.identity: the image path is the default and "
			     "the UID is not known", user, user) < 0 || hs_strv_push(&p->notes, n, strlen(n)) < 0)
			return -ENOMEM;
	} else {
		if (rec.image_path ? !(p->image = strdup(rec.image_path)) : asprintf(&p->image, "/home/%s.home", user) < 0)
			return -ENOMEM;
		p->uid = rec.uid;
		if (rec.storage && strcmp(rec.storage, "luks") != 0) {
			_cleanup_free_ char *n = NULL;

			if (asprintf(&n, "the home's storage is '%s', not a LUKS image: move its directory (%s) instead of "
				     "an image file", rec.storage, rec.image_path ? rec.image_path : "?") < 0 ||
			    hs_strv_push(&p->notes, n, strlen(n)) < 0)
				return -ENOMEM;
		}
	}
	image = p->image;
	if (p->uid) {
		if (asprintf(&uid_check, "getent passwd %u    # must print nothing: homed keeps UID %u for %s\n", p->uid,
			     p->uid, u) < 0)
			return -ENOMEM;
	} else if (asprintf(&uid_check, "getent passwd \"$(homectl inspect -j %s | jq .uid)\"    # on the old "
			    "machine: the UID must be free here\n", u) < 0)
		return -ENOMEM;

	if ((r = step(p, "old", "Log the user out and deactivate the home cleanly", "the state must be 'inactive', not "
		      "'dirty' or 'active': an image copied while mounted is copied inconsistent",
		      "loginctl terminate-user %s\nhomectl deactivate %s\nhomectl inspect %s    # State: inactive\n", u, u,
		      u)) < 0 ||
	    (r = step(p, "old", "Export homed's signing keys (the real names are local.public and local.private, "
		      "not public.local/private.local)", "the directory then holds the private key: a USB stick you "
		      "wipe afterwards, or copy it over ssh",
		      "homesetup keys export /mnt/usb/homed-keys\n")) < 0 ||
	    (r = step(p, "old", "Save Portage's side of the machine: the world file and /etc/portage",
		      "the new machine needs systemd[homed] and pambase[homed] too; the world file lists what you "
		      "installed by name",
		      "cp /var/lib/portage/world /mnt/usb/world\ntar -C /etc -czf /mnt/usb/etc-portage.tar.gz portage\n")) < 0 ||
	    (r = step(p, "old", "Copy the home image, keeping it sparse", "the image is as large as its disk size; "
		      "--sparse keeps unused blocks unallocated",
		      "rsync -a --sparse --progress %s NEWHOST:%s\n", image, image)) < 0 ||
	    (r = step(p, "new", "Prepare Portage and systemd-homed", "compare the old /etc/portage with this one "
		      "rather than overwriting it: profiles, CPU flags and repositories may differ",
		      "mkdir -p /root/old-etc && tar -C /root/old-etc -xzf /mnt/usb/etc-portage.tar.gz\n"
		      "diff -ru /root/old-etc/portage /etc/portage\n"
		      "emerge --ask --noreplace $(cat /mnt/usb/world)    # adds the old world entries here\n"
		      "homesetup use enable && emerge --ask --update --newuse --deep @world\n"
		      "homesetup check\n")) < 0 ||
	    (r = step(p, "new", "Trust the old machine's key", "--trust NAME lets the user log in (the record "
		      "stays signed by the old key and cannot be changed here); --force takes over both keys, so "
		      "the record can be changed here too, but records this machine signed before stop being accepted",
		      "homesetup keys import /mnt/usb/homed-keys --trust OLDHOST --user %s\n"
		      "  # or: homesetup keys import /mnt/usb/homed-keys --force --user %s\n"
		      "systemctl restart systemd-homed.service\n", u, u)) < 0 ||
	    (r = step(p, "new", "Check that the user's name and UID are free", "homed refuses a home whose user name "
		      "or UID exists in /etc/passwd or /etc/group already",
		      "getent passwd %s    # must print nothing\ngetent group %s    # must print nothing\n%s", u, u,
		      uid_check)) < 0 ||
	    (r = step(p, "new", "Register and activate the home", "homed discovers /home/*.home images by itself "
		      "(the home then shows as 'unfixated' until its first activation); from systemd 258 on "
		      "'homectl adopt' registers an image anywhere",
		      "homectl list    # %s should be listed\nhomectl activate %s\n"
		      "  # systemd 258 or later, for an image elsewhere: homectl adopt %s\n", u, u, image)) < 0 ||
	    (r = step(p, "new", "Verify, then clean up", NULL,
		      "homectl inspect %s\nhomesetup doctor %s\nshred -u /mnt/usb/homed-keys/local.private\n", u, u)) < 0)
		return r;
	*out = TAKE_PTR(p);
	return 0;
}

size_t hs_move_plan_count(const hs_move_plan *plan)
{
	return plan ? plan->n : 0;
}

const hs_move_step *hs_move_plan_step(const hs_move_plan *plan, size_t i)
{
	return plan && i < plan->n ? &plan->v[i].pub : NULL;
}

const char *hs_move_plan_image(const hs_move_plan *plan)
{
	return plan ? plan->image : NULL;
}

unsigned hs_move_plan_uid(const hs_move_plan *plan)
{
	return plan ? plan->uid : 0;
}

size_t hs_move_plan_note_count(const hs_move_plan *plan)
{
	return plan ? hs_strv_length(plan->notes) : 0;
}

const char *hs_move_plan_note(const hs_move_plan *plan, size_t i)
{
	return plan && i < hs_strv_length(plan->notes) ? plan->notes[i] : NULL;
}
