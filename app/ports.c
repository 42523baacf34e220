/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Port setup (control path). Symmetric RSS: the Toeplitz key 0x6d5a
 * repeated hashes (a, b) and (b, a) alike, so both directions of a
 * connection land on one queue and therefore one rx lcore's flow table.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <rte_ethdev.h>
#include <rte_flow.h>
#include <rte_mbuf_dyn.h>

#include "ports.h"

int
app_port_find(const struct cfg_port *cp, int index, struct app_port *p, FILE *err)
{
	memset(p, 0, sizeof(*p));
	p->cfg = cp;
	if (rte_eth_dev_get_port_by_name(cp->dev_name, &p->port_id) != 0) {
		fprintf(err, "ports[%d].device: \"%s\": no such ethdev after EAL start "
				"(bound to a DPDK driver? vdev name right?)\n", index, cp->dev_name);
		return -1;
	}
	struct rte_eth_dev_info info;
	if (rte_eth_dev_info_get(p->port_id, &info) != 0) {
		fprintf(err, "ports[%d]: cannot read device info\n", index);
		return -1;
	}
	if (cp->rx_queues > info.max_rx_queues) {
		fprintf(err, "ports[%d].rx_queues: %u is more than %s supports (%u)\n", index,
				cp->rx_queues, cp->dev_name, info.max_rx_queues);
		return -1;
	}
	/* Event times should be the packets' own: for a capture replayed by
	 * net_pcap they are the capture's (microseconds in the dynfield), so
	 * JWT expiry and think times read as they were recorded. NIC clocks
	 * count in device ticks; until they are converted, the TSC is used. */
	if (cp->timestamps && strcmp(info.driver_name, "net_pcap") == 0)
		p->ts_mult = 1000;
	p->socket = rte_eth_dev_socket_id(p->port_id);
	if (p->socket < 0)
		p->socket = 0;
	p->n_queues = cp->rx_queues;
	return 0;
}

int
app_port_start(struct app_port *p, struct rte_mempool *mp, FILE *err)
{
	static uint8_t key[64];
	struct rte_eth_conf conf;
	struct rte_eth_dev_info info;
	uint16_t nrx, ntx = 0;
	int rc;

	for (size_t i = 0; i < sizeof(key); i += 2) {
		key[i] = 0x6d;
		key[i + 1] = 0x5a;
	}
	memset(&conf, 0, sizeof(conf));
	rte_eth_dev_info_get(p->port_id, &info);
	if (p->n_queues > 1 && info.flow_type_rss_offloads) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_key = key;
		conf.rx_adv_conf.rss_conf.rss_key_len = info.hash_key_size ? info.hash_key_size : 40;
		conf.rx_adv_conf.rss_conf.rss_hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP |
				RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
		p->rss = 1;
	}
	rc = rte_eth_dev_configure(p->port_id, p->n_queues, ntx, &conf);
	if (rc != 0) {
		fprintf(err, "%s: configure with %u rx queues: %s\n", p->cfg->name, p->n_queues,
				rte_strerror(-rc));
		return rc;
	}
	nrx = p->cfg->rx_descriptors;
	rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nrx, NULL);
	for (uint16_t q = 0; q < p->n_queues; q++) {
		rc = rte_eth_rx_queue_setup(p->port_id, q, nrx, (unsigned int)p->socket, NULL, mp);
		if (rc != 0) {
			fprintf(err, "%s: rx queue %u: %s\n", p->cfg->name, q, rte_strerror(-rc));
			return rc;
		}
	}
	rc = rte_eth_dev_start(p->port_id);
	if (rc != 0) {
		fprintf(err, "%s: start: %s\n", p->cfg->name, rte_strerror(-rc));
		return rc;
	}
	if (p->cfg->promiscuous) {
		rc = rte_eth_promiscuous_enable(p->port_id);
		if (rc != 0 && rc != -ENOTSUP)
			fprintf(err, "%s: promiscuous mode: %s\n", p->cfg->name, rte_strerror(-rc));
	}
	struct rte_eth_link link;
	char ls[64];
	rte_eth_link_get_nowait(p->port_id, &link);
	if (link.link_status)
		snprintf(ls, sizeof(ls), "link up %u Mbps %s", link.link_speed,
				link.link_duplex ? "full-duplex" : "half-duplex");
	else
		snprintf(ls, sizeof(ls), "link down");
	printf("port %s (%s, id %u, socket %d): %u rx queues, %u descriptors, RSS %s, "
			"timestamps %s, %s\n", p->cfg->name, p->cfg->dev_name, p->port_id, p->socket,
			p->n_queues, nrx, p->rss ? "symmetric" : "off",
			p->ts_mult ? "from the capture" : "from the TSC", ls);
	return 0;
}

void
app_port_stats(const struct app_port *p, FILE *out, int xstats)
{
	struct rte_eth_stats st;

	if (rte_eth_stats_get(p->port_id, &st) != 0)
		return;
	fprintf(out, "port %s: rx %" PRIu64 " packets %" PRIu64 " bytes, missed %" PRIu64
			", errors %" PRIu64 ", no mbuf %" PRIu64 "\n", p->cfg->name, st.ipackets,
			st.ibytes, st.imissed, st.ierrors, st.rx_nombuf);
	if (!xstats)
		return;
	int n = rte_eth_xstats_get(p->port_id, NULL, 0);
	if (n <= 0)
		return;
	struct rte_eth_xstat xs[n];
	struct rte_eth_xstat_name names[n];
	if (rte_eth_xstats_get(p->port_id, xs, (unsigned int)n) != n ||
			rte_eth_xstats_get_names(p->port_id, names, (unsigned int)n) != n)
		return;
	for (int i = 0; i < n; i++)
		if (xs[i].value)
			fprintf(out, "  %-40s %" PRIu64 "\n", names[xs[i].id].name, xs[i].value);
}

/*
 * hw_drop: one rule per name and IP version, each ETH [/ IP [/ L4]] with
 * no values to match but an EtherType, action DROP. Untagged frames only:
 * a NIC matches ETH / IPV4 on the EtherType after the MAC addresses, so a
 * VLAN-tagged mirror needs its tags stripped by the NIC or the switch.
 */
#define HW_MAX_ITEMS 4

static const struct rte_flow_item_eth eth_arp = { .hdr.ether_type = RTE_BE16(0x0806) };
static const struct rte_flow_item_eth eth_lldp = { .hdr.ether_type = RTE_BE16(0x88cc) };
static const struct rte_flow_item_eth eth_type_mask = { .hdr.ether_type = RTE_BE16(0xffff) };

#define ITEM(t) { .type = RTE_FLOW_ITEM_TYPE_##t }
#define ETH_TYPE(s_) { .type = RTE_FLOW_ITEM_TYPE_ETH, .spec = &(s_), .mask = &eth_type_mask }
static const struct {
	enum cfg_hw_drop what;
	struct rte_flow_item pattern[HW_MAX_ITEMS];
} hw_rules[] = {
	{ CFG_HW_DROP_arp, { ETH_TYPE(eth_arp), ITEM(END) } },
	{ CFG_HW_DROP_lldp, { ETH_TYPE(eth_lldp), ITEM(END) } },
	{ CFG_HW_DROP_icmp, { ITEM(ETH), ITEM(IPV4), ITEM(ICMP), ITEM(END) } },
	{ CFG_HW_DROP_icmp6, { ITEM(ETH), ITEM(IPV6), ITEM(ICMP6), ITEM(END) } },
	{ CFG_HW_DROP_udp, { ITEM(ETH), ITEM(IPV4), ITEM(UDP), ITEM(END) } },
	{ CFG_HW_DROP_udp, { ITEM(ETH), ITEM(IPV6), ITEM(UDP), ITEM(END) } },
	{ CFG_HW_DROP_ipv6, { ITEM(ETH), ITEM(IPV6), ITEM(END) } },
};
#undef ITEM
#undef ETH_TYPE

int
app_port_hw_drop(struct app_port *p, FILE *err)
{
	static const struct rte_flow_attr attr = { .ingress = 1 };
	static const struct rte_flow_action drop[] = {
		{ .type = RTE_FLOW_ACTION_TYPE_DROP }, { .type = RTE_FLOW_ACTION_TYPE_END } };
	struct rte_flow_error e;
	char done[128] = "";

	for (unsigned int i = 0; i < RTE_DIM(hw_rules); i++) {
		const char *what = cfg_hw_drop_names[hw_rules[i].what];
		if (!(p->cfg->hw_drop & (1u << hw_rules[i].what)))
			continue;
		memset(&e, 0, sizeof(e));
		if (rte_flow_validate(p->port_id, &attr, hw_rules[i].pattern, drop, &e) != 0 ||
				rte_flow_create(p->port_id, &attr, hw_rules[i].pattern, drop, &e) == NULL) {
			fprintf(err, "%s: hw_drop: %s cannot drop %s in hardware (%s); leave it "
					"out of hw_drop and meshwatch drops it in software\n",
					p->cfg->name, p->cfg->dev_name, what,
					e.message ? e.message : rte_strerror(rte_errno));
			rte_flow_flush(p->port_id, &e);
			p->n_flows = 0;
			return -1;
		}
		p->n_flows++;
		if (!strstr(done, what))
			snprintf(done + strlen(done), sizeof(done) - strlen(done), " %s", what);
	}
	if (p->n_flows)
		printf("port %s: the NIC drops%s (%u rte_flow rules)\n", p->cfg->name, done,
				p->n_flows);
	return 0;
}

void
app_port_stop(struct app_port *p)
{
	struct rte_flow_error e;

	if (p->n_flows)
		rte_flow_flush(p->port_id, &e);
	rte_eth_dev_stop(p->port_id);
	rte_eth_dev_close(p->port_id);
}
