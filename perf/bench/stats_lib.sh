# SPDX-License-Identifier: BSD-3-Clause
# Reading meshwatch's stats file (output.stats: one JSON object per
# interval, the last written at exit): shared by bench.sh and
# stats_summary.sh, so a run on real ports is summarized the same way.
# PKTS (packets per pass of the capture) must be set for passes().

# steady rates of a run, from the stats lines after the warm-up to the last
# interval line (the very last line is the one written at exit)
rates() {	# STATS -> packets/s bits/s calls/s
	jq -s -r '(.[2]) as $a | (.[-2]) as $b | ($b.uptime_s - $a.uptime_s) as $t |
		"\(($b.counters.rx_packets - $a.counters.rx_packets) / $t | floor)
		 \(($b.counters.rx_bytes - $a.counters.rx_bytes) * 8 / $t | floor)
		 \(($b.counters.events - $a.counters.events) / $t | floor)"' "$1" | tr -s ' \n\t' ' '
}
# drops at every ring and pool, summed over the run
drops() {
	jq -s -r '.[-1] | .counters as $c | "rx->inference ring \($c.event_ring_full), event pool \($c.event_pool_empty), inference->main ring \($c.out_ring_full), summaries \($c.summaries_lost), alerts \($c.alerts_lost), port missed \($c.port_missed), no mbuf \($c.port_nombuf), packets \(.drops | [.[]] | add)"' "$1"
}
# events per pass of the capture, per interval after the warm-up (min max)
# and over the whole run (totals at exit)
passes() {	# STATS -> min max whole-run passes
	jq -s -r --argjson P "$PKTS" '[range(3; length - 1) as $i | .[$i].counters as $b |
		.[$i - 1].counters as $a | select($b.rx_packets > $a.rx_packets) |
		($b.events - $a.events) * $P / ($b.rx_packets - $a.rx_packets)] as $v |
		.[-1].counters as $e |
		"\($v | min | floor) \($v | max | floor) \($e.events * $P / $e.rx_packets | floor) \($e.rx_packets / $P | floor)"' "$1"
}
# with -Dstage_cycles, a line per rx lcore: its busy cycles per packet,
# then per stage (mw_stage.h) cycles per packet and per call
stages_rx() {	# STATS
	jq -s -r '.[-1] | (.lcores[] | select(.role == "rx")) as $l |
		[($l.busy_cycles / $l.rx_packets), ($l.stage_cycles | to_entries[] | .value / $l.rx_packets),
		 ($l.stage_cycles | to_entries[] | .value / ([$l.events, 1] | max))] | map(floor) | join(" ")' "$1"
}
# a line per inference lcore: its cycles per call by stage, then per
# payload window, trace step and actor step
stages_inf() {	# STATS
	jq -s -r '.[-1] | (.lcores[] | select(.role == "inference")) as $l |
		[($l.stage_cycles | to_entries[] | .value / ([$l.events_in, 1] | max)),
		 ($l.stage_cycles.payload / ([$l.payload_windows, 1] | max)),
		 ($l.stage_cycles.trace / ([$l.trace_steps, 1] | max)),
		 ($l.stage_cycles.actor / ([$l.actor_steps, 1] | max))] | map(floor) | join(" ")' "$1"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'; }
