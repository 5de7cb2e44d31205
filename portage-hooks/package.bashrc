# /etc/portage/profile/package.bashrc: homesetup's post-merge check for systemd-homed (the user-profile way of
# installing it; see /usr/share/homesetup/portage-hooks/README.md). Each line names an atom and files of
# /etc/portage/profile/bashrc/ that Portage sources for it. Add these lines to your own package.bashrc.
sys-apps/systemd homed-check
sys-auth/pambase homed-check
