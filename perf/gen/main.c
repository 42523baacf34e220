/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * meshwatch-gen: labeled microservice traffic (pcap + ground truth).
 * Control path only: options, loading, output files, summary.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "app.h"
#include "encode.h"
#include "grammar.h"
#include "labels.h"
#include "sim.h"

#ifndef MW_GRAMMAR_INSTALLED
#define MW_GRAMMAR_INSTALLED "/usr/share/meshwatch/grammar"
#endif
#ifndef MW_GRAMMAR_DIR
#define MW_GRAMMAR_DIR "perf/gen/grammar"
#endif
#ifndef MW_VERSION
#define MW_VERSION "0"
#endif

static const char usage[] =
"usage: meshwatch-gen --app FILE --out PREFIX [options]\n"
"\n"
"Writes PREFIX.pcap and the ground truth PREFIX.requests.jsonl,\n"
"PREFIX.traces.jsonl, PREFIX.actors.jsonl, PREFIX.summary.json.\n"
"\n"
"  --app FILE            application description (configs/apps/*.conf)\n"
"  --out PREFIX          output path prefix\n"
"  --seed N              random seed (default 1); same seed, same bytes\n"
"  --requests N          stop at the first trace boundary at or past N\n"
"                        HTTP requests (default 100000)\n"
"  --users N             user population (default: the app's, 2000)\n"
"  --attack LIST         CLASS=RATE[,CLASS=RATE...]: share of sessions that\n"
"                        are attacks of CLASS; 'all=RATE' sets every class,\n"
"                        'none' disables attacks. Classes: sqli xss cmdi\n"
"                        traversal ssrf jndi ssti nosqli bola bfla\n"
"                        mass_assignment broken_auth credential_stuffing\n"
"                        scraping exfiltration chain\n"
"  --ipv6                services on IPv6 (fd00:6d77::/96)\n"
"  --vlan ID             802.1Q tag on mirrored frames\n"
"  --qinq ID             802.1ad outer tag (with --vlan)\n"
"  --encap KIND          none | vxlan | gre | erspan2 | erspan3\n"
"  --vni N               VXLAN network id (default 4242)\n"
"  --erspan-session N    ERSPAN session id (default 7)\n"
"  --mirror SRC,DST      outer IPv4 addresses (default 10.99.0.1,10.99.0.100)\n"
"  --impair LIST         KIND=P[,KIND=P...]: reorder dup loss overlap (per\n"
"                        data segment), tiny (per connection: 1-byte\n"
"                        segments, its first 16 KiB), frag (per packet),\n"
"                        ext6 (IPv6 ext headers)\n"
"  --midstart SEC        start the capture SEC seconds into the traffic\n"
"  --loop-clean          every connection opens and closes in the capture\n"
"  --start TIME          the traffic's first second, YYYY-MM-DDTHH:MM:SSZ or\n"
"                        now (default: the app's start); packet times, Date\n"
"                        headers and JWT iat/exp follow it\n"
"  --grammars DIR        grammar files (default " MW_GRAMMAR_DIR ",\n"
"                        else " MW_GRAMMAR_INSTALLED ")\n"
"  --quiet               no summary on stderr\n"
"  --version, --help\n";

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "meshwatch-gen: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static double
parse_prob(const char *what, const char *v)
{
	char *e;
	double x;

	errno = 0;
	x = strtod(v, &e);
	if (errno || *e || e == v || x < 0 || x > 1)
		die("%s: bad value '%s' (expected a probability 0..1)", what, v);
	return x;
}

static uint64_t
parse_u64(const char *what, const char *v, uint64_t lo, uint64_t hi)
{
	char *e;
	unsigned long long x;

	errno = 0;
	x = strtoull(v, &e, 0);
	if (errno || *e || e == v || v[0] == '-' || x < lo || x > hi) {
		die("%s: bad value '%s' (expected an integer in %llu..%llu)", what, v,
				(unsigned long long)lo, (unsigned long long)hi);
	}
	return x;
}

static void
parse_attacks(char *list, double *rates)
{
	char *save = NULL;

	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');

		if (!strcmp(t, "none")) {
			for (int c = 1; c < CLS_N; c++)
				rates[c] = 0;
			continue;
		}
		if (eq == NULL)
			die("--attack: bad item '%s' (expected CLASS=RATE)", t);
		*eq = '\0';
		double r = parse_prob("--attack", eq + 1);
		if (!strcmp(t, "all")) {
			for (int c = 1; c < CLS_N; c++)
				rates[c] = r;
			continue;
		}
		int c = cls_from_name(t);
		if (c <= 0)
			die("--attack: unknown class '%s' (see --help)", t);
		rates[c] = r;
	}
	double sum = 0;
	for (int c = 1; c < CLS_N; c++)
		sum += rates[c];
	if (sum > 0.9)
		die("--attack: rates add up to more than 0.9 of all sessions");
}

static void
parse_impair(char *list, struct impair *im)
{
	char *save = NULL;

	for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		if (eq == NULL)
			die("--impair: bad item '%s' (expected KIND=P)", t);
		*eq = '\0';
		double p = parse_prob("--impair", eq + 1);
		if (!strcmp(t, "reorder")) im->reorder = p;
		else if (!strcmp(t, "dup")) im->dup = p;
		else if (!strcmp(t, "loss")) im->loss = p;
		else if (!strcmp(t, "overlap")) im->overlap = p;
		else if (!strcmp(t, "tiny")) im->tiny = p;
		else if (!strcmp(t, "frag")) im->frag = p;
		else if (!strcmp(t, "ext6")) im->ext6 = p;
		else
			die("--impair: unknown kind '%s' (expected reorder, dup, loss, overlap, "
					"tiny, frag or ext6)", t);
	}
}

static uint32_t
parse_ip4(const char *what, const char *s)
{
	struct in_addr in;

	if (inet_pton(AF_INET, s, &in) != 1)
		die("%s: bad value '%s' (expected an IPv4 address)", what, s);
	return ntohl(in.s_addr);
}

/*
 * Loads and checks a payload class grammar: it must name its techniques,
 * placements, targets and encodings, and every technique must be a rule.
 */
static struct grammar *
load_attack_grammar(const char *dir, const char *cls, struct rng *r)
{
	static const char *need[] = { "technique", "place", "target", "encode", "param",
		"header", "cookie" };
	char path[4096], err[512], buf[256];
	struct grammar *g;

	snprintf(path, sizeof(path), "%s/%s.g", dir, cls);
	g = grammar_load(path, err, sizeof(err));
	if (g == NULL)
		die("%s", err);
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++)
		if (grammar_rule(g, need[i]) < 0)
			die("%s: missing rule '%s' (see perf/gen/grammar/README.md)", path, need[i]);
	/* Sample the choice rules: every value must mean something. */
	for (int i = 0; i < 400; i++) {
		grammar_expand_name(g, "technique", r, GCASE_ASIS, buf, sizeof(buf));
		if (grammar_rule(g, buf) < 0)
			die("%s: technique '%s' is not a rule", path, buf);
		grammar_expand_name(g, "place", r, GCASE_ASIS, buf, sizeof(buf));
		if (strcmp(buf, "param") && strcmp(buf, "query") && strcmp(buf, "path") &&
				strcmp(buf, "body") && strcmp(buf, "header") && strcmp(buf, "cookie"))
			die("%s: place '%s' is not param, query, path, body, header or cookie",
					path, buf);
		grammar_expand_name(g, "encode", r, GCASE_ASIS, buf, sizeof(buf));
		if (evasion_from_name(buf) < 0)
			die("%s: encode '%s' is not an evasion (none raw pct full double "
					"unicode overlong mixed html)", path, buf);
	}
	return g;
}

static void
write_summary(const struct sim_opts *o, const struct sim_result *res, double secs,
		const char *app)
{
	struct json_object *s = json_object_new_object();
	struct json_object *sc = json_object_new_object(), *rc = json_object_new_object();
	struct json_object *mc = json_object_new_object(), *rates = json_object_new_object();
	struct json_object *st = json_object_new_object(), *net = json_object_new_object();

	json_object_object_add(s, "app", json_object_new_string(app));
	json_object_object_add(s, "seed", json_object_new_int64((int64_t)o->seed));
	json_object_object_add(s, "requests", json_object_new_int64((int64_t)res->requests));
	json_object_object_add(s, "traces", json_object_new_int64((int64_t)res->traces));
	json_object_object_add(s, "sessions", json_object_new_int64((int64_t)res->sessions));
	json_object_object_add(s, "simulated_seconds",
			json_object_new_double((double)res->sim_ns / 1e9));
	for (int c = 0; c < CLS_N; c++) {
		json_object_object_add(sc, cls_names[c],
				json_object_new_int64((int64_t)res->sessions_by_class[c]));
		json_object_object_add(rc, cls_names[c],
				json_object_new_int64((int64_t)res->requests_by_class[c]));
		json_object_object_add(mc, cls_names[c],
				json_object_new_int64((int64_t)res->malicious_by_class[c]));
		if (c)
			json_object_object_add(rates, cls_names[c],
					json_object_new_double(o->rates[c]));
	}
	json_object_object_add(s, "attack_rates", rates);
	json_object_object_add(s, "sessions_by_class", sc);
	json_object_object_add(s, "requests_by_class", rc);
	json_object_object_add(s, "malicious_requests_by_class", mc);
	for (int k = 1; k < 6; k++) {
		char key[8];
		snprintf(key, sizeof(key), "%dxx", k);
		json_object_object_add(st, key, json_object_new_int64((int64_t)res->status[k]));
	}
	json_object_object_add(s, "status", st);
#define NET(f) json_object_object_add(net, #f, json_object_new_int64((int64_t)res->net.f))
	NET(packets); NET(bytes); NET(conns); NET(fins); NET(rsts); NET(lost); NET(dups);
	NET(reordered); NET(overlaps); NET(frags); NET(tiny_conns);
#undef NET
	json_object_object_add(s, "net", net);
	json_object_object_add(s, "wall_seconds", json_object_new_double(secs));
	if (labels_close(s) != 0) {
		json_object_put(s);
		die("writing the label files failed: %s", strerror(errno));
	}
	json_object_put(s);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "app", required_argument, NULL, 'a' },
		{ "out", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 's' },
		{ "requests", required_argument, NULL, 'n' },
		{ "users", required_argument, NULL, 'u' },
		{ "attack", required_argument, NULL, 'A' },
		{ "ipv6", no_argument, NULL, '6' },
		{ "vlan", required_argument, NULL, 'V' },
		{ "qinq", required_argument, NULL, 'Q' },
		{ "encap", required_argument, NULL, 'E' },
		{ "vni", required_argument, NULL, 'X' },
		{ "erspan-session", required_argument, NULL, 'S' },
		{ "mirror", required_argument, NULL, 'M' },
		{ "impair", required_argument, NULL, 'I' },
		{ "midstart", required_argument, NULL, 'm' },
		{ "loop-clean", no_argument, NULL, 'L' },
		{ "start", required_argument, NULL, 'T' },
		{ "grammars", required_argument, NULL, 'g' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "version", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct sim_opts o = { .seed = 1, .requests = 100000 };
	/* the tree's grammars while it exists (a build), else the installed ones */
	const char *app_path = NULL, *out = NULL, *start = NULL;
	const char *gdir = access(MW_GRAMMAR_DIR "/benign.g", R_OK) == 0 ? MW_GRAMMAR_DIR :
		MW_GRAMMAR_INSTALLED;
	int quiet = 0, c;

	o.net.vni = 4242;
	o.net.erspan_session = 7;
	o.net.mirror_src = 0x0a630001;
	o.net.mirror_dst = 0x0a630064;
	for (int k = 0; k < CLS_N; k++)
		o.rates[k] = cls_default_rate[k];
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': app_path = optarg; break;
		case 'o': out = optarg; break;
		case 's': o.seed = parse_u64("--seed", optarg, 0, UINT64_MAX); break;
		case 'n': o.requests = parse_u64("--requests", optarg, 1, 1000000000000ull); break;
		case 'u': o.users = (int)parse_u64("--users", optarg, 10, 5000000); break;
		case 'A': parse_attacks(optarg, o.rates); break;
		case '6': o.net.ipv6 = 1; break;
		case 'V': o.net.vlan = (int)parse_u64("--vlan", optarg, 1, 4094); break;
		case 'Q': o.net.qinq = (int)parse_u64("--qinq", optarg, 1, 4094); break;
		case 'E':
			if (!strcmp(optarg, "none")) o.net.encap = ENCAP_NONE;
			else if (!strcmp(optarg, "vxlan")) o.net.encap = ENCAP_VXLAN;
			else if (!strcmp(optarg, "gre")) o.net.encap = ENCAP_GRE;
			else if (!strcmp(optarg, "erspan2")) o.net.encap = ENCAP_ERSPAN2;
			else if (!strcmp(optarg, "erspan3")) o.net.encap = ENCAP_ERSPAN3;
			else die("--encap: bad value '%s' (expected none, vxlan, gre, erspan2 "
					"or erspan3)", optarg);
			break;
		case 'X': o.net.vni = (uint32_t)parse_u64("--vni", optarg, 0, 0xffffff); break;
		case 'S': o.net.erspan_session = (uint16_t)parse_u64("--erspan-session",
					optarg, 0, 1023); break;
		case 'M': {
			char *comma = strchr(optarg, ',');
			if (comma == NULL)
				die("--mirror: bad value '%s' (expected SRC,DST)", optarg);
			*comma = '\0';
			o.net.mirror_src = parse_ip4("--mirror", optarg);
			o.net.mirror_dst = parse_ip4("--mirror", comma + 1);
			break;
		}
		case 'I': parse_impair(optarg, &o.net.imp); break;
		case 'm': {
			char *e;
			o.midstart_s = strtod(optarg, &e);
			if (*e || o.midstart_s < 0 || o.midstart_s > 86400)
				die("--midstart: bad value '%s' (expected seconds 0..86400)",
						optarg);
			break;
		}
		case 'L': o.loop_clean = 1; break;
		case 'T': start = optarg; break;
		case 'g': gdir = optarg; break;
		case 'q': quiet = 1; break;
		case 'v': printf("meshwatch-gen %s\n", MW_VERSION); return 0;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (optind < argc)
		die("unexpected argument '%s' (see --help)", argv[optind]);
	if (app_path == NULL || out == NULL) {
		fputs(usage, stderr);
		return 2;
	}
	if (o.net.qinq && !o.net.vlan)
		die("--qinq needs --vlan (the inner tag)");
	if (o.loop_clean && o.midstart_s > 0)
		die("--loop-clean and --midstart contradict each other: a capture that starts "
				"mid-connection cannot have every connection open inside it");
	if (o.loop_clean && (o.net.imp.loss > 0 || o.net.imp.dup > 0))
		die("--loop-clean is for benchmark replays: it refuses loss and dup "
				"impairments, which change what a pass contains");
	o.net.capture_start = (uint64_t)(o.midstart_s * 1e9);

	struct rng r;
	char err[1024], path[4096];
	struct sim_grammars g = { 0 };

	rng_seed(&r, o.seed);
	snprintf(path, sizeof(path), "%s/benign.g", gdir);
	struct grammar *benign = grammar_load(path, err, sizeof(err));
	if (benign == NULL)
		die("%s", err);
	g.benign = benign;
	for (int k = 1; k < CLS_N; k++)
		if (cls_payload[k])
			g.attack[k] = load_attack_grammar(gdir, cls_names[k], &r);
	struct app *a = app_load(app_path, benign, err, sizeof(err));
	if (a == NULL)
		die("%s", err);
	static const char *benign_rules[] = { "first_name", "last_name", "password", "ua_browser",
		"ua_mobile", "ua_tool", "ua_bot", "person", "comment", "city", "breach_user",
		"password_guess", "kid_injection", "admin_path", "recon_path", "probe_method" };
	for (size_t i = 0; i < sizeof(benign_rules) / sizeof(benign_rules[0]); i++)
		if (grammar_rule(benign, benign_rules[i]) < 0)
			die("%s/benign.g: missing rule '%s'", gdir, benign_rules[i]);

	/* The seed alone decides the output: reseed after the load-time checks. */
	rng_seed(&r, o.seed);
	snprintf(path, sizeof(path), "%s.pcap", out);
	/* Packet times, label times, JWT iat/exp and Date headers share one clock.
	 * A capture replayed against the wall clock (net_pcap's infinite_rx
	 * gives no capture times) wants it to be now, or every token it holds
	 * has long expired. */
	if (start != NULL && strcmp(start, "now") == 0) {
		a->start_epoch = time(NULL);
	} else if (start != NULL) {
		struct tm tm = { 0 };
		const char *end = strptime(start, "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (end == NULL || *end)
			die("--start: bad value '%s' (expected YYYY-MM-DDTHH:MM:SSZ or now)", start);
		a->start_epoch = timegm(&tm);
	}
	o.net.epoch_ns = (uint64_t)a->start_epoch * 1000000000ull;
	if (net_init(&o.net, path, &r, err, sizeof(err)) || labels_open(out, err, sizeof(err)))
		die("%s", err);

	struct timespec t0, t1;
	struct sim_result res;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sim_run(a, &g, &o, &r, &res);
	if (net_finish(&res.net) != 0)
		die("%s.pcap: write failed: %s", out, strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	write_summary(&o, &res, secs, a->name);
	if (!quiet) {
		uint64_t attacks = 0;
		for (int k = 1; k < CLS_N; k++)
			attacks += res.malicious_by_class[k];
		fprintf(stderr, "meshwatch-gen: %s seed %llu: %llu requests (%llu malicious) in "
				"%llu traces, %llu sessions, %.1f s simulated; %llu packets, "
				"%.1f MB; %.2f s, %.0f requests/s\n", a->name,
				(unsigned long long)o.seed, (unsigned long long)res.requests,
				(unsigned long long)attacks, (unsigned long long)res.traces,
				(unsigned long long)res.sessions, (double)res.sim_ns / 1e9,
				(unsigned long long)res.net.packets, (double)res.net.bytes / 1e6,
				secs, (double)res.requests / secs);
	}
	app_free(a);
	grammar_free(benign);
	for (int k = 0; k < CLS_N; k++)
		grammar_free((struct grammar *)g.attack[k]);
	return 0;
}
