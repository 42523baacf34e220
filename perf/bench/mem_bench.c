/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * meshwatch-membench: memory per tracked flow and per sequence key, at
 * N concurrent flows and keys. An rx lcore context sized for N flows takes
 * N SYNs through the rx path (dp_handle_packet: decode, flow table), so N
 * flows are tracked and idle; then a trace store and an actor store of N
 * keys each are filled with seq_add. For each: the bytes the DPDK heap gave
 * out (exact, everything the structure allocated, the rte_hash included),
 * and the process's resident size before and after (what the kernel
 * actually backs; DPDK's --no-huge memory is touched as it is used).
 *
 *   meshwatch-membench N [H]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rte_eal.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_tcp.h>

#include "dp.h"
#include "inf.h"
#include "seqstore.h"

static size_t
heap_used(void)
{
	struct rte_malloc_socket_stats st;

	return rte_malloc_get_socket_stats(0, &st) == 0 ? st.heap_allocsz_bytes : 0;
}

static size_t
rss(void)
{
	char line[256];
	size_t kb = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f != NULL && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %zu kB", &kb) == 1)
			break;
	if (f != NULL)
		fclose(f);
	return kb * 1024;
}

/* A SYN from 10.(i>>16).(i>>8).i:(1024 + i % 50000) to 10.255.0.1:80. */
static uint32_t
syn(uint8_t *b, uint32_t i)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)b;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_tcp_hdr *tcp = (struct rte_tcp_hdr *)(ip + 1);
	uint32_t len = sizeof(*eth) + sizeof(*ip) + sizeof(*tcp);

	memset(b, 0, len);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(sizeof(*ip) + sizeof(*tcp)));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(0x0a000000u | ((i / 50000) & 0xffffff));
	ip->dst_addr = rte_cpu_to_be_32(0x0aff0001u);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	tcp->src_port = rte_cpu_to_be_16((uint16_t)(1024 + i % 50000));
	tcp->dst_port = rte_cpu_to_be_16(80);
	tcp->sent_seq = rte_cpu_to_be_32(i * 2654435761u);
	tcp->data_off = 5 << 4;
	tcp->tcp_flags = RTE_TCP_SYN_FLAG;
	tcp->rx_win = rte_cpu_to_be_16(65535);
	tcp->cksum = rte_ipv4_udptcp_cksum(ip, tcp);
	return len;
}

static void
report(const char *what, uint32_t n, size_t heap, size_t rss_delta)
{
	printf("%-12s %8u  %12zu  %10.0f  %12zu  %10.0f\n", what, n, heap, (double)heap / n,
			rss_delta, (double)rss_delta / n);
}

int
main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "--no-shconf", "--no-pci", "-m", "4096",
		"--log-level", "lib.eal:error", NULL };
	if (rte_eal_init(8, eal) < 0) {
		fprintf(stderr, "meshwatch-membench: EAL init failed\n");
		return 2;
	}
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
	uint32_t H = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 64;
	if (n < 1024 || n > (1u << 24) || H < 1 || H > 1024) {
		fprintf(stderr, "usage: meshwatch-membench N [H] (N 1024 to 16M)\n");
		return 2;
	}
	/* the config's defaults (app/config.c), the flow table sized for n */
	struct dp_limits lim = {
		.flows = n, .timeout_syn_s = 10, .timeout_est_s = 300, .timeout_closed_s = 5,
		.ooo_per_flow = 32, .ooo_total = 16384, .max_line = 8192, .max_header = 16384,
		.header_buffers = 4096, .body_bytes = 1024, .response_timeout_s = 30,
		.frag_entries = 4096, .frag_timeout_ms = 2000, .actor_key = { 1, 2 },
	};
	printf("%-12s %8s  %12s  %10s  %12s  %10s\n", "structure", "keys", "heap bytes",
			"per key", "RSS growth", "per key");
	/* what an rx context costs whatever its flow capacity (buffers of
	 * reassembly, header sections, fragments): one with the least */
	size_t h0 = heap_used(), r0 = rss();
	struct dp_limits small = lim;
	small.flows = 1024;
	struct dp_lcore *lc = dp_lcore_create(0, 1, &small, 0);
	if (lc == NULL) {
		fprintf(stderr, "meshwatch-membench: cannot create an rx context\n");
		return 2;
	}
	size_t fixed = heap_used() - h0;
	dp_lcore_free(lc);
	h0 = heap_used();
	lc = dp_lcore_create(0, 0, &lim, 0);
	if (lc == NULL) {
		fprintf(stderr, "meshwatch-membench: cannot create an rx context for %u flows\n", n);
		return 2;
	}
	uint8_t frame[128];
	for (uint32_t i = 0; i < n; i++)
		dp_handle_packet(lc, frame, syn(frame, i));
	if (lc->n_flows != n) {
		fprintf(stderr, "meshwatch-membench: %u flows tracked of %u SYNs\n", lc->n_flows, n);
		return 1;
	}
	report("flows", n, heap_used() - h0, rss() - r0);
	printf("%-12s %8u  %12zu  %10.0f  (the context's fixed %zu bytes left out)\n",
			"flows only", n - 1024, heap_used() - h0 - fixed,
			(double)(heap_used() - h0 - fixed) / (n - 1024), fixed);

	static const struct { const char *name; uint32_t key_len, entry; } lv[2] = {
		{ "trace keys", 16, sizeof(struct inf_trace) },
		{ "actor keys", 8, sizeof(struct inf_actor) },
	};
	struct seq_store *stores[2];
	for (int l = 0; l < 2; l++) {
		h0 = heap_used();
		r0 = rss();
		struct seq_store *s = seq_store_create(lv[l].name, lv[l].key_len, n, lv[l].entry, H, 0);
		if (s == NULL) {
			fprintf(stderr, "meshwatch-membench: cannot create a store of %u keys\n", n);
			return 2;
		}
		uint8_t key[16] = { 0 };
		for (uint32_t i = 0; i < n; i++) {
			memcpy(key, &i, sizeof(i));
			if (seq_add(s, key, 1000 + i) < 0) {
				fprintf(stderr, "meshwatch-membench: key %u refused\n", i);
				return 1;
			}
		}
		char name[32];
		snprintf(name, sizeof(name), "%s H=%u", lv[l].name, H);
		report(name, n, heap_used() - h0, rss() - r0);
		stores[l] = s;	/* held: a freed store's pages would serve the next */
	}
	printf("resident size with all three: %zu MiB\n", rss() >> 20);
	seq_store_free(stores[0]);
	seq_store_free(stores[1]);
	dp_lcore_free(lc);
	rte_eal_cleanup();
	return 0;
}
