#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Installs the Debian packages meshwatch builds, tests and benchmarks with.
# Idempotent: does nothing (and needs no network) when everything is present.
# Used by `make run`, `make test`, `make bench` and .ci/run alike; packages
# named as arguments are wanted too (`make model-tools`: the attack tools).
set -eu

PKGS="build-essential meson ninja-build pkg-config
libpcap-dev libconfig-dev libjson-c-dev libjsmn-dev
libdpdk-dev dpdk-dev libhyperscan-dev libdnnl-dev libnuma-dev libmicrohttpd-dev
tshark jq gnuplot-nox curl debhelper $*"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; the answer does not matter here.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
