# Copyright 2026 Gentoo Authors
# Distributed under the terms of the GNU General Public License v2

EAPI=8

PYTHON_COMPAT=( python3_{11..14} )

inherit git-r3 python-any-r1 toolchain-funcs

DESCRIPTION="Prepare Gentoo for systemd-homed: Portage USE model, readiness checks, eselect module"
HOMEPAGE="https://github.com/homesetup/homesetup"
EGIT_REPO_URI="https://github.com/homesetup/homesetup.git"

LICENSE="GPL-2+"
SLOT="0"
IUSE="test"
RESTRICT="!test? ( test )"

# sys-fs/cryptsetup, sys-apps/util-linux (libblkid) and dev-libs/libpcre2 are dlopen()ed by the soname found at
# build time (`image inspect`, `doctor`), not linked: they stay in RDEPEND, with := (where there is a subslot) so
# that a new soname rebuilds us.
DEPEND="
	dev-libs/iniparser:=
	dev-libs/json-c:=
	dev-libs/libpcre2:=
	dev-libs/xxhash
	sys-apps/systemd:=
	sys-apps/util-linux
	sys-fs/cryptsetup:=
	sys-libs/zlib:=
	virtual/libcrypt:=
	test? ( dev-util/cmocka )
"
RDEPEND="
	${DEPEND}
	app-admin/eselect
	net-misc/rsync
"
BDEPEND="
	virtual/pkgconfig
	test? (
		${PYTHON_DEPS}
		dev-util/bats
		sys-apps/dbus
	)
"

pkg_setup() {
	use test && python-any-r1_pkg_setup
}

src_compile() {
	emake \
		CC="$(tc-getCC)" \
		AR="$(tc-getAR)" \
		PKG_CONFIG="$(tc-getPKG_CONFIG)" \
		PREFIX="${EPREFIX}/usr" \
		LIBDIR="${EPREFIX}/usr/$(get_libdir)"
}

src_test() {
	emake \
		CC="$(tc-getCC)" \
		AR="$(tc-getAR)" \
		PKG_CONFIG="$(tc-getPKG_CONFIG)" \
		PREFIX="${EPREFIX}/usr" \
		LIBDIR="${EPREFIX}/usr/$(get_libdir)" \
		check
}

src_install() {
	emake \
		CC="$(tc-getCC)" \
		PKG_CONFIG="$(tc-getPKG_CONFIG)" \
		DESTDIR="${D}" \
		PREFIX="${EPREFIX}/usr" \
		LIBDIR="${EPREFIX}/usr/$(get_libdir)" \
		install
	# the README and the JSON schemas of the commands (doc/*-json.md)
	local DOCS=( README.md doc/*.md )
	einstalldocs
}

pkg_postinst() {
	if [[ -z ${REPLACING_VERSIONS} ]]; then
		elog "Check whether this system is ready for systemd-homed:"
		elog "  homesetup check        (or: eselect homed show, eselect homed check)"
		elog "To be warned after sys-apps/systemd or sys-auth/pambase is merged without"
		elog "what homed needs, install the Portage hook as described in"
		elog "  ${EROOT}/usr/share/homesetup/portage-hooks/README.md"
	fi
}
