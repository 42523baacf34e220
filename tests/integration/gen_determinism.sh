#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The same seed and config give byte-identical outputs; another seed differs.
# usage: gen_determinism.sh GEN APP OUTDIR
set -eu
GEN=$1 APP=$2 DIR=$3/determinism
. "$(dirname "$0")/outputs_lib.sh"
remove_on_success "$DIR"
mkdir -p "$DIR"
for run in a b; do
	"$GEN" --app "$APP" --out "$DIR/$run" --seed 7 --requests 15000 --quiet \
		--impair reorder=0.01,dup=0.01,frag=0.01
done
"$GEN" --app "$APP" --out "$DIR/c" --seed 8 --requests 15000 --quiet \
	--impair reorder=0.01,dup=0.01,frag=0.01
for f in pcap requests.jsonl traces.jsonl actors.jsonl; do
	cmp "$DIR/a.$f" "$DIR/b.$f" || { echo "seed 7 twice: $f differs" >&2; exit 1; }
	if cmp -s "$DIR/a.$f" "$DIR/c.$f"; then
		echo "seeds 7 and 8: $f identical" >&2
		exit 1
	fi
done
echo "seed 7 twice: identical pcap and labels ($(wc -c < "$DIR/a.pcap") bytes); seed 8 differs"
