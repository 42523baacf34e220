# SPDX-License-Identifier: BSD-3-Clause
# What an integration test wrote (captures of up to a gigabyte: the suite
# writes ~7 GB, and CI runs it twice) is removed when the test passes and
# kept for a look when it fails, or always with MW_KEEP_TEST_OUTPUT=1. A
# CI disk that filled up once made the last tests fail for want of room.
# Sourced by the tests.

MW_RM_DIR= MW_RM_PREFIX=

# remove_on_success DIR [PREFIX]: DIR, or only DIR/PREFIX.* (tests that
# share DIR, one case each); sets the EXIT trap
remove_on_success() {
	MW_RM_DIR=$1 MW_RM_PREFIX=${2:-}
	trap 'tidy_outputs $?' EXIT
}

# tidy_outputs STATUS: the removal; a test with an EXIT trap of its own calls
# remove_on_success first, then this from its trap
tidy_outputs() {
	[ "$1" -eq 0 ] && [ -z "${MW_KEEP_TEST_OUTPUT:-}" ] && [ -n "$MW_RM_DIR" ] || return 0
	if [ -n "$MW_RM_PREFIX" ]; then
		rm -f -- "$MW_RM_DIR/$MW_RM_PREFIX".*
	else
		rm -rf -- "$MW_RM_DIR"
	fi
}
