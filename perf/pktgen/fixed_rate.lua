-- SPDX-License-Identifier: BSD-3-Clause
-- Replay the pcap given with -s 0:FILE at a fixed rate, report tx rates.
package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local port = "0"
local rate = tonumber(os.getenv("MW_RATE") or "10")        -- percent of line rate
local seconds = tonumber(os.getenv("MW_SECONDS") or "30")

pktgen.set(port, "rate", rate)
pktgen.pcap(port, "on")
pktgen.clr()
pktgen.start(port)
pktgen.delay(seconds * 1000)
pktgen.stop(port)
pktgen.delay(500)

local st = pktgen.portStats(port, "port")[tonumber(port)]
printf("meshwatch fixed rate %d%%: %d packets in %d s = %.0f pps, %.3f Gbit/s\n",
    rate, st.opackets, seconds, st.opackets / seconds, st.obytes * 8 / seconds / 1e9)
