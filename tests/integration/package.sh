#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The Debian package: dpkg-buildpackage builds it from a copy of the tree;
# it holds the binaries, /etc/meshwatch (config, rules, models) as
# conffiles, the systemd unit (enabled by its maintainer scripts), logrotate
# and man pages; unpacked into a scratch root, its meshwatch validates its
# own config there; installed on this machine (as root, when no meshwatch
# package is installed already), `meshwatch --check-config` passes on the
# installed files and systemd accepts the unit; purging leaves nothing.
#
# usage: package.sh SRC OUTDIR
set -eu
SRC=$1 DIR=$2/package
fail() { echo "FAIL: $*" >&2; exit 1; }
rm -rf "$DIR"
mkdir -p "$DIR/src"

# a copy of the tree without build outputs or history
tar -C "$SRC" --exclude=./.git --exclude='./build*' --exclude='./obj-*' \
	--exclude=./debian/meshwatch --exclude=./debian/.debhelper -cf - . |
	tar -C "$DIR/src" -xf -
(cd "$DIR/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b) > "$DIR/build.log" 2>&1 ||
	{ tail -30 "$DIR/build.log" >&2; fail "dpkg-buildpackage failed"; }
DEB=$(ls "$DIR"/meshwatch_*_amd64.deb)
echo "built $(basename "$DEB"), $(du -k "$DEB" | cut -f1) KiB"

dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|' > "$DIR/files"
for f in /usr/bin/meshwatch /usr/bin/meshwatch-train /usr/bin/meshwatch-eval \
		/usr/bin/meshwatch-gen /etc/meshwatch/meshwatch.conf \
		/etc/meshwatch/signatures/sqli.rules /etc/meshwatch/models/payload.mwm \
		/etc/meshwatch/models/trace.mwm /etc/meshwatch/models/actor.mwm \
		/lib/systemd/system/meshwatch.service /etc/logrotate.d/meshwatch \
		/usr/share/man/man8/meshwatch.8.gz /usr/share/man/man1/meshwatch-train.1.gz \
		/usr/share/meshwatch/grammar/sqli.g /usr/share/meshwatch/apps/dvdrental.conf \
		/var/cache/meshwatch/ /var/log/meshwatch/; do
	grep -qxF "$f" "$DIR/files" || fail "the package lacks $f"
done
dpkg-deb -I "$DEB" conffiles > "$DIR/conffiles"
for f in /etc/meshwatch/meshwatch.conf /etc/meshwatch/models/payload.mwm \
		/etc/logrotate.d/meshwatch; do
	grep -qxF "$f" "$DIR/conffiles" || fail "$f is not a conffile"
done
dpkg-deb -I "$DEB" postinst | grep -q "deb-systemd-helper.*meshwatch.service" ||
	fail "the maintainer scripts do not enable meshwatch.service"
echo "contents: binaries, config, rules, models, unit, logrotate, man pages"

# ---- a scratch root: the packaged meshwatch on the packaged config ----
ROOT="$DIR/root"
dpkg-deb -x "$DEB" "$ROOT"
sed -e "s|/etc/meshwatch|$ROOT/etc/meshwatch|g" -e "s|/var/|$ROOT/var/|g" \
	"$ROOT/etc/meshwatch/meshwatch.conf" > "$DIR/scratch.conf"
"$ROOT/usr/bin/meshwatch" -c "$DIR/scratch.conf" --check-config > "$DIR/scratch.log" 2>&1 ||
	{ cat "$DIR/scratch.log" >&2; fail "the packaged config is refused in the scratch root"; }
echo "scratch root: $(tail -1 "$DIR/scratch.log")"
"$ROOT/usr/bin/meshwatch-gen" --app "$ROOT/usr/share/meshwatch/apps/dvdrental.conf" \
	--grammars "$ROOT/usr/share/meshwatch/grammar" --requests 200 --out "$DIR/gen" --quiet ||
	fail "the packaged generator fails on the packaged grammars"

# ---- this machine: install, validate, purge ----
if [ "$(id -u)" -ne 0 ]; then
	echo "install: not checked (needs root)"
	exit 0
fi
if dpkg-query -W -f='${Status}' meshwatch 2>/dev/null | grep -q "install ok installed"; then
	echo "install: not checked (a meshwatch package is installed here already)"
	exit 0
fi
trap 'dpkg --purge meshwatch > /dev/null 2>&1 || true' EXIT
DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB" > "$DIR/install.log" 2>&1 ||
	{ cat "$DIR/install.log" >&2; fail "dpkg -i failed"; }
/usr/bin/meshwatch -c /etc/meshwatch/meshwatch.conf --check-config > "$DIR/check.log" 2>&1 ||
	{ cat "$DIR/check.log" >&2; fail "the installed config is refused"; }
echo "installed: $(tail -1 "$DIR/check.log")"
if command -v systemd-analyze > /dev/null 2>&1; then
	systemd-analyze verify /lib/systemd/system/meshwatch.service > "$DIR/verify.log" 2>&1 || true
	if grep -v "man meshwatch\|Command 'man" "$DIR/verify.log" | grep -q .; then
		cat "$DIR/verify.log" >&2
		fail "systemd-analyze verify finds fault with the unit"
	fi
	echo "systemd-analyze verify: the unit is accepted"
fi
dpkg --purge meshwatch > "$DIR/purge.log" 2>&1 || { cat "$DIR/purge.log" >&2; fail "purge failed"; }
trap - EXIT
[ ! -e /etc/meshwatch ] && [ ! -e /usr/bin/meshwatch ] || fail "purge left files behind"
echo "purged: nothing left"
