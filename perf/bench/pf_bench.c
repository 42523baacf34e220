/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * meshwatch-pfbench: the pre-filter's cost per core beside plain hs_scan.
 *
 *   meshwatch-pfbench EVENTS.jsonl RULES_DIR CACHE_DIR [SECONDS [nocache|rules]]
 *
 * Fields come from an event log written with output.redact = false (path,
 * query, selected headers, request body). Two passes over the same calls,
 * alternating A B A B so drift cancels, medians reported:
 *   A: what the rx lcore does: extract values (query, form, JSON), normalize,
 *      scan every database of the field's class, record matches;
 *   B: plain hs_scan of the same raw bytes through the database that holds
 *      every rule of the field's class (no extraction, no decoding, no
 *      SQL or shell reading, no match positions).
 * The ratio A/B is the price of normalization and extraction, less what the
 * clean-value cache saves (it starts cold every pass); `nocache` measures
 * without it.
 *
 * `rules`: instead, what each rule costs alone: compiled by itself (as the
 * fast database compiles it) and run over the same raw bytes of the fields
 * of its classes, slowest first. The sum is more than the rules cost
 * together (Hyperscan shares their literal search), but the order says
 * which rules a faster rule set would rewrite first.
 */
#include <glob.h>
#include <hs/hs.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <rte_eal.h>
#include <rte_malloc.h>

#include "dp.h"
#include "prefilter.h"
#include "bench_clock.h"

enum kind { K_PATH, K_QUERY, K_HEADER, K_JSON, K_FORM, K_BODY };

struct field {
	enum kind kind;
	char *s;
	uint32_t len;
};

static struct field *fields;
static size_t n_fields, cap_fields;
static uint64_t total_bytes;

static void
add(enum kind k, const char *s)
{
	if (s == NULL || *s == '\0')
		return;
	if (n_fields == cap_fields) {
		cap_fields = cap_fields ? 2 * cap_fields : 4096;
		fields = realloc(fields, cap_fields * sizeof(*fields));
	}
	fields[n_fields].kind = k;
	fields[n_fields].s = strdup(s);
	fields[n_fields].len = (uint32_t)strlen(s);
	total_bytes += fields[n_fields].len;
	n_fields++;
}

static const char *
str(json_object *o, const char *k)
{
	json_object *v;
	return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

static int
load(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	while (getline(&line, &cap, f) > 0) {
		json_object *o = json_tokener_parse(line);
		if (o == NULL)
			continue;
		add(K_PATH, str(o, "path"));
		add(K_QUERY, str(o, "query"));
		add(K_HEADER, str(o, "user_agent"));
		add(K_HEADER, str(o, "host"));
		add(K_HEADER, str(o, "xff"));
		const char *ct = str(o, "content_type"), *b = str(o, "req_body");
		if (b)
			add(ct && strstr(ct, "json") ? K_JSON : ct && strstr(ct, "form") ? K_FORM :
					K_BODY, b);
		json_object_put(o);
	}
	free(line);
	fclose(f);
	return 0;
}

static enum pf_class
class_of(enum kind k)
{
	switch (k) {
	case K_PATH: return PF_CLASS_path;
	case K_HEADER: return PF_CLASS_headers;
	case K_BODY: return PF_CLASS_body;
	default: return PF_CLASS_values;
	}
}

static int
no_op(unsigned int id, unsigned long long from, unsigned long long to, unsigned int fl, void *c)
{
	(void)id, (void)from, (void)to, (void)fl, (void)c;
	return 0;
}

static double
run_a(struct pf_ctx *c, struct mw_event *ev)
{
	/* every pass starts cold: the clean-value cache only knows what this
	 * pass has already seen, as on a live lcore seeing the calls once */
	pf_ctx_forget(c);
	double t0 = bench_now();

	for (size_t i = 0; i < n_fields; i++) {
		const struct field *f = &fields[i];
		ev->pf_categories = 0;
		ev->pf_nmatch = 0;
		ev->data_len = 0;
		memset(ev->field, 0, sizeof(ev->field));
		switch (f->kind) {
		case K_QUERY:
		case K_FORM:
			pf_scan_form(c, ev, f->s, f->len);
			break;
		case K_JSON:
			pf_scan_json(c, ev, f->s, f->len);
			break;
		default:
			pf_scan(c, ev, class_of(f->kind), NULL, 0, f->s, f->len);
		}
	}
	return bench_now() - t0;
}

static double
run_b(const struct pf_engine *e, hs_scratch_t *s)
{
	double t0 = bench_now();

	for (size_t i = 0; i < n_fields; i++) {
		const struct field *f = &fields[i];
		int cls = class_of(f->kind);
		/* the plain database holds every rule: all of those of the
		 * class, once, over the raw bytes */
		if (e->readings[cls] & (1u << PF_VAR_PLAIN))
			hs_scan(e->db[PF_VAR_PLAIN], f->s, f->len, 0, s, no_op, NULL);
	}
	return bench_now() - t0;
}

struct rule_cost {
	double ns;
	uint32_t r;
};

static int
by_cost(const void *a, const void *b)
{
	double x = ((const struct rule_cost *)a)->ns, y = ((const struct rule_cost *)b)->ns;
	return (x < y) - (x > y);
}

/* Each rule alone over the fields of its classes: ns per field scanned. */
static int
rule_costs(const struct pf_engine *e)
{
	struct rule_cost *rc = calloc(e->n_rules, sizeof(*rc));
	double total = 0;

	for (uint32_t r = 0; r < e->n_rules; r++) {
		const struct pf_rule *ru = &e->rules[r];
		unsigned int f = HS_FLAG_SINGLEMATCH |
			(ru->flags & PF_RULE_CASELESS ? HS_FLAG_CASELESS : 0) |
			(ru->flags & PF_RULE_DOTALL ? HS_FLAG_DOTALL : 0);
		hs_database_t *db = NULL;
		hs_compile_error_t *ce = NULL;
		hs_scratch_t *s = NULL;
		if (hs_compile(ru->pattern, f, HS_MODE_BLOCK, NULL, &db, &ce) != HS_SUCCESS ||
				hs_alloc_scratch(db, &s) != HS_SUCCESS) {
			fprintf(stderr, "rule %u: %s\n", ru->id, ce ? ce->message : "no scratch");
			hs_free_compile_error(ce);
			hs_free_database(db);
			continue;
		}
		size_t n = 0;
		double t0 = bench_now();
		for (size_t i = 0; i < n_fields; i++)
			if (ru->classes & (1u << class_of(fields[i].kind))) {
				hs_scan(db, fields[i].s, fields[i].len, 0, s, no_op, NULL);
				n++;
			}
		rc[r] = (struct rule_cost){ n ? (bench_now() - t0) / (double)n * 1e9 : 0, r };
		total += rc[r].ns;
		hs_free_scratch(s);
		hs_free_database(db);
	}
	qsort(rc, e->n_rules, sizeof(*rc), by_cost);
	printf("each rule alone over the raw fields of its classes (ns per field; sum %.0f):\n", total);
	for (uint32_t k = 0; k < e->n_rules; k++)
		printf("  %6.0f ns  %5.1f%%  %u %s\n", rc[k].ns, total ? 100 * rc[k].ns / total : 0,
				e->rules[rc[k].r].id, e->rules[rc[k].r].name);
	free(rc);
	return 0;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	char *eal[] = { argv[0], "--no-huge", "--no-shconf", "-m", "256", "--no-pci", "-l", "0",
		"--log-level", "lib.eal:error", NULL };
	char pattern[4096];
	glob_t gl;

	if (argc < 4) {
		fprintf(stderr, "usage: meshwatch-pfbench EVENTS.jsonl RULES_DIR CACHE_DIR [SECONDS]\n");
		return 2;
	}
	double secs = argc > 4 ? atof(argv[4]) : 10;
	if (load(argv[1]) < 0 || n_fields == 0)
		return 2;
	snprintf(pattern, sizeof(pattern), "%s/*.rules", argv[2]);
	if (rte_eal_init(10, eal) < 0 || glob(pattern, 0, NULL, &gl) != 0)
		return 2;
	struct pf_engine *e = pf_engine_load((const char *const *)gl.gl_pathv, (int)gl.gl_pathc,
			argv[3], NULL, stderr);
	struct pf_ctx c;
	hs_scratch_t *s = NULL;
	if (e == NULL || pf_ctx_init(&c, e, 0) < 0 || hs_clone_scratch(e->proto, &s) != HS_SUCCESS)
		return 2;
	if (argc > 5 && strcmp(argv[5], "rules") == 0)
		return rule_costs(e);
	struct mw_event *ev = rte_zmalloc("ev", MW_EVENT_SIZE, 64);
	int nocache = argc > 5 && strcmp(argv[5], "nocache") == 0;
	struct pf_clean clean[2] = { c.clean[0], c.clean[1] };
	if (nocache)
		c.clean[0].slots = NULL, c.clean[1].slots = NULL;

	run_a(&c, ev);		/* warm caches */
	run_b(e, s);
	double ta[64], tb[64];
	int k = 0;
	double t0 = bench_now();
	while (k < 64 && (bench_now() - t0 < secs || k < 3)) {
		ta[k] = run_a(&c, ev);
		tb[k] = run_b(e, s);
		k++;
	}
	qsort(ta, (size_t)k, sizeof(double), cmp);
	qsort(tb, (size_t)k, sizeof(double), cmp);
	double a = ta[k / 2], b = tb[k / 2];
	printf("fields %zu, bytes %llu per pass, %d passes each (A B alternating), medians:\n",
			n_fields, (unsigned long long)total_bytes, k);
	printf("  pre-filter (extract + normalize + scan + record): %8.1f MB/s  %6.0f ns/field\n",
			(double)total_bytes / a / 1e6, a / (double)n_fields * 1e9);
	printf("  plain hs_scan of the raw bytes, all rules:         %8.1f MB/s  %6.0f ns/field\n",
			(double)total_bytes / b / 1e6, b / (double)n_fields * 1e9);
	printf("  cost ratio: %.2fx (target: at most 2x)\n", a / b);
	printf("  values that needed decoding: %.1f%%, inert (short alphanumeric, not scanned): %.1f%%,"
			" known clean (not scanned): %.1f%%\n",
			c.fields ? 100.0 * (double)c.normalized / (double)c.fields : 0.0,
			c.fields ? 100.0 * (double)c.inert / (double)c.fields : 0.0,
			c.fields ? 100.0 * (double)c.cached / (double)c.fields : 0.0);
	printf("  (clean-value cache %s)\n", nocache ? "off" : "on, cold at every pass");
	c.clean[0] = clean[0];
	c.clean[1] = clean[1];
	hs_free_scratch(s);
	pf_ctx_free(&c);
	pf_engine_free(e);
	rte_eal_cleanup();
	return 0;
}
