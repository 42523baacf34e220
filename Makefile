# meshwatch: thin wrappers around meson. Every target installs missing
# Debian packages first (scripts/install-deps.sh is idempotent).
BUILD ?= build
GEN = $(BUILD)/perf/gen/meshwatch-gen
MW = $(BUILD)/app/meshwatch
# configs/demo.conf reads its capture from here, whatever BUILD is
DEMO = build/demo

.PHONY: all deps build run test test-sanitize bench gen model model-transfer model-tools clean
SAN ?= build-asan

all: build

deps:
	@sh scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The bundled demo: meshwatch-gen writes a labeled capture of the DVD-rental
# app with attacks; the appliance reads it through DPDK's net_pcap PMD, writes
# its event log and stats, and we summarise what it saw.
run: build
	@mkdir -p $(DEMO)
	$(GEN) --app configs/apps/dvdrental.conf --seed 1 --requests 20000 --attack all=0.004 --out $(DEMO)/dvdrental --quiet
	@rm -f $(DEMO)/events.jsonl $(DEMO)/alerts.jsonl	# the logs append
	$(MW) -c configs/demo.conf --idle-exit 1
	@echo; echo "event log: $(DEMO)/events.jsonl ($$(wc -l < $(DEMO)/events.jsonl) API calls); busiest endpoints:"
	@jq -r '"\(.dst_service) \(.method) \(.template)"' $(DEMO)/events.jsonl | sort | uniq -c | sort -rn | head -12
	@echo "status codes:"; jq -r .status $(DEMO)/events.jsonl | sort | uniq -c | sort -rn | head -6
	@echo "callers by identity:"; jq -r .actor_kind $(DEMO)/events.jsonl | sort | uniq -c | sort -rn
	@echo "pre-filter: $$(jq -c 'select(.prefilter)' $(DEMO)/events.jsonl | wc -l) calls flagged, by category:"
	@jq -r '.prefilter.categories[]?' $(DEMO)/events.jsonl | sort | uniq -c | sort -rn
	@echo "for example:"; jq -r 'select(.prefilter) | "  \(.method) \(.path) <- \(.prefilter.matches[0].name) in \(.prefilter.text[.prefilter.matches[0].record // 0].name)=\(.prefilter.text[.prefilter.matches[0].record // 0].value[0:60])"' $(DEMO)/events.jsonl | awk 'NR % 9 == 1' | head -6
	@echo; echo "API inventory ($(DEMO)/inventory.json, graph $(DEMO)/services.dot): $$(jq '.endpoints | length' $(DEMO)/inventory.json) endpoints of $$(jq '.services | length' $(DEMO)/inventory.json) services; the busiest:"
	@jq -r '.endpoints | sort_by(-.calls) | .[:5][] | "  \(.service) \(.method) \(.template): \(.calls) calls from \([.callers[].service] | join(", "))"' $(DEMO)/inventory.json
	@echo "inventory findings:"; jq -r 'select(.meshwatch.kind == "inventory") | "  \(.meshwatch.finding): \(.meshwatch.src_service) -> \(.meshwatch.dst_service) \(.http.http_method) \(.meshwatch.template)"' $(DEMO)/alerts.jsonl | head -8
	@echo; echo "alerts from the default models ($(DEMO)/alerts.jsonl), by kind and class:"
	@jq -r 'select(.event_type == "alert") | "\(.meshwatch.kind) \(.meshwatch.class)"' $(DEMO)/alerts.jsonl | sort | uniq -c | sort -rn | head -12
	@echo "the first, explained:"; jq -c 'select(.event_type == "alert") | {sig: .alert.signature, score: .meshwatch.score, why: [.meshwatch.explanation[] | {method, template, status, delta, rules: [.rules[]?.name], snippet}]}' $(DEMO)/alerts.jsonl | head -2

test: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

# The appliance's tests again under AddressSanitizer and UBSan (.ci/run does this).
test-sanitize: deps
	[ -f $(SAN)/build.ninja ] || meson setup $(SAN) -Db_sanitize=address,undefined \
		-Dbuildtype=debugoptimized -Db_lundef=false
	ninja -C $(SAN)
	meson test -C $(SAN) --print-errorlogs --num-processes 1 \
		--suite unit --suite appliance

# The benchmark suite (perf/bench/bench.sh): tables in perf/results/summary.md,
# plots beside them. The per-stage cycle counters need a second build of the
# appliance with -Dstage_cycles=true (STAGES); the generator's own numbers
# (issue 2) come after it.
STAGES ?= build-stages
bench: build
	[ -f $(STAGES)/build.ninja ] || meson setup $(STAGES) -Dstage_cycles=true
	ninja -C $(STAGES) app/meshwatch
	sh perf/bench/bench.sh $(BUILD) $(STAGES) perf/results
	sh perf/bench/gen_bench.sh $(GEN)

# The default models in configs/models/ (inference/MODEL_CARD.md): generate,
# turn into event logs with the appliance, train, evaluate on a held-out seed.
model: build
	sh scripts/make_model.sh $(BUILD) configs/models $(BUILD)/model

# Transfer to ride-hailing with 5% of its labels, against training from scratch.
model-transfer: build
	sh scripts/transfer.sh $(BUILD) configs/models $(BUILD)/transfer

# Real attack tools (sqlmap, wapiti, dirb, wfuzz's lists) on loopback,
# captured and read by the appliance with the default models
# (inference/MODEL_CARD.md).
model-tools: build
	@sh scripts/install-deps.sh sqlmap wfuzz wapiti dirb tcpdump
	sh scripts/attack_tools.sh $(BUILD) configs/models $(BUILD)/tools

clean:
	rm -rf $(BUILD) $(SAN)
