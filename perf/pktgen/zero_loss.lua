-- SPDX-License-Identifier: BSD-3-Clause
-- Binary search for the highest rate the appliance takes without loss.
package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local port = "0"
local seconds = tonumber(os.getenv("MW_SECONDS") or "20")
local precision = tonumber(os.getenv("MW_PRECISION") or "1")
local stats_file = os.getenv("MW_STATS") or "/var/lib/meshwatch/stats.json"

-- The appliance's cumulative drop counter: last line of its stats file.
local function appliance_drops()
    local f = io.open(stats_file, "r")
    if f == nil then
        error("cannot read " .. stats_file .. " (set MW_STATS)")
    end
    local last
    for line in f:lines() do last = line end
    f:close()
    local v = last and string.match(last, '"drops_total"%s*:%s*(%d+)')
    if v == nil then
        error(stats_file .. ": no drops_total in the last line")
    end
    return tonumber(v)
end

local lo, hi, best = 0, 100, 0
pktgen.pcap(port, "on")
while hi - lo > precision do
    local rate = (lo + hi) / 2
    pktgen.set(port, "rate", rate)
    pktgen.clr()
    local before = appliance_drops()
    pktgen.start(port)
    pktgen.delay(seconds * 1000)
    pktgen.stop(port)
    pktgen.delay(2000)                          -- let the appliance drain
    local lost = appliance_drops() - before
    local st = pktgen.portStats(port, "port")[tonumber(port)]
    printf("rate %.2f%%: sent %d packets, appliance lost %d\n", rate, st.opackets, lost)
    if lost == 0 then
        lo, best = rate, rate
    else
        hi = rate
    end
end
printf("meshwatch zero-loss rate: %.2f%% of line rate\n", best)
