# meshwatch: thin wrappers around meson. Every target installs missing
# Debian packages first (scripts/install-deps.sh is idempotent).
BUILD ?= build
GEN = $(BUILD)/perf/gen/meshwatch-gen
DEMO = $(BUILD)/demo

.PHONY: all deps build run test bench gen clean

all: build

deps:
	@sh scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	meson setup $(BUILD)

build: deps $(BUILD)/build.ninja
	ninja -C $(BUILD)

# The bundled demo: a labeled capture of the DVD-rental app with attacks,
# summarised. (The appliance itself joins this target with issue 3.)
run: build
	@mkdir -p $(DEMO)
	$(GEN) --app configs/apps/dvdrental.conf --seed 1 --requests 20000 --attack all=0.004 --out $(DEMO)/dvdrental
	@echo "capture: $(DEMO)/dvdrental.pcap   labels: $(DEMO)/dvdrental.*.jsonl"
	@jq -r '"requests by class:", (.requests_by_class | to_entries[] | select(.value > 0) | "  \(.key): \(.value)")' $(DEMO)/dvdrental.summary.json

test: build
	meson test -C $(BUILD) --print-errorlogs --num-processes 2

bench: build
	sh perf/bench/gen_bench.sh $(GEN)

clean:
	rm -rf $(BUILD)
