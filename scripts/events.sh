#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# A labeled capture through the appliance: writes PREFIX.events.jsonl (the
# event log the training tools read, unredacted) and, when MODELS is given,
# PREFIX.alerts.jsonl with those models loaded.
#
#   events.sh MESHWATCH PREFIX RULESDIR CACHE [MODELS_DIR]
#
# PREFIX.pcap is meshwatch-gen's capture. One rx and one inference lcore on
# this machine's two CPUs; backpressure on, so nothing is dropped.
set -eu
MW=$1 P=$2 RULES=$3 CACHE=$4 MODELS=${5:-}
mkdir -p "$CACHE"
models=""
if [ -n "$MODELS" ]; then
	models="models = { payload = \"$MODELS/payload.mwm\"; trace = \"$MODELS/trace.mwm\";
	           actor = \"$MODELS/actor.mwm\"; batch = 32; };"
fi
cat > "$P.conf" <<CONF
eal = ["--no-huge", "--no-shconf", "--no-pci", "-m", "1024", "--log-level", "lib.eal:error",
       "--log-level", "user1:warning"];
ports = ( { device = "net_pcap_ev,rx_pcap=$P.pcap"; } );
lcores = { main = 0; rx = [1]; inference = [2]; map = "0@0,1@1,2@1";
           event_pool = 8191; ring_size = 1024; backpressure = true; };
prefilter = { rules = ["$RULES/*.rules"]; cache = "$CACHE"; };
$models
output = { events = "$P.events.jsonl"; alerts = "$P.alerts.jsonl"; redact = false;
           alert_window_s = 0; actor_key = "00112233445566778899aabbccddeeff"; };
CONF
rm -f "$P.events.jsonl" "$P.alerts.jsonl"
timeout 900 "$MW" -c "$P.conf" --idle-exit 1 > "$P.log" 2>&1 || { tail -20 "$P.log" >&2; exit 1; }
