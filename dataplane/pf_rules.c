/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Pre-filter rules (control path): parse rule files, compile Hyperscan
 * databases, cache them, size the scratch. Format: configs/signatures/README.md.
 *
 * The pattern id in every database is the rule's index in the loaded table,
 * so the match callback turns an id into a rule with one array access.
 */
#include <errno.h>
#include <hs/hs.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "prefilter.h"

const char *const pf_category_names[PF_CAT_MAX] = {
#define X(c) #c,
	PF_CATEGORIES(X)
#undef X
};

const char *const pf_class_names[PF_CLASS_MAX] = {
#define X(c) #c,
	PF_CLASSES(X)
#undef X
};

static const char *const severities[] = { NULL, "low", "medium", "high", "critical" };

struct parse {
	const char *file;
	int line;
	FILE *err;
	int errors;
};

static void __attribute__((format(printf, 3, 4)))
rule_error(struct parse *p, long id, const char *fmt, ...)
{
	va_list ap;

	if (id >= 0)
		fprintf(p->err, "%s:%d: rule %ld: ", p->file, p->line, id);
	else
		fprintf(p->err, "%s:%d: ", p->file, p->line);
	va_start(ap, fmt);
	vfprintf(p->err, fmt, ap);
	va_end(ap);
	fputc('\n', p->err);
	p->errors++;
}

static char *
token(char **s)
{
	char *p = *s, *t;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return NULL;
	t = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p)
		*p++ = '\0';
	*s = p;
	return t;
}

static int
lookup(const char *s, const char *const *names, int n)
{
	for (int i = 0; i < n; i++)
		if (names[i] && strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

static int
parse_classes(struct parse *p, long id, char *s, uint16_t *out)
{
	*out = 0;
	for (char *save = NULL, *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int k = strcmp(t, "urls") == 0 ? PF_FIELD_URLS : lookup(t, pf_class_names,
				PF_CLASS_MAX);
		if (strcmp(t, "any") == 0) {
			*out = (uint16_t)((1u << PF_FIELDS) - 1);
			continue;
		}
		if (k < 0) {
			rule_error(p, id, "unknown field '%s'; expected any, path, names, values, "
					"headers, urls, cookies or body", t);
			return -1;
		}
		*out |= (uint16_t)(1u << k);
	}
	return 0;
}

static int
parse_flags(struct parse *p, long id, char *s, uint16_t *out)
{
	*out = 0;
	if (strcmp(s, "-") == 0)
		return 0;
	for (char *save = NULL, *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (strcmp(t, "i") == 0)
			*out |= PF_RULE_CASELESS;
		else if (strcmp(t, "s") == 0)
			*out |= PF_RULE_DOTALL;
		else if (strcmp(t, "sql") == 0)
			*out |= PF_RULE_SQL;
		else if (strcmp(t, "sh") == 0)
			*out |= PF_RULE_SH;
		else {
			rule_error(p, id, "unknown flag '%s'; expected i, s, sql, sh or -", t);
			return -1;
		}
	}
	return 0;
}

/* ID CATEGORY SEVERITY FIELDS FLAGS "NAME" /PATTERN/ */
static int
parse_line(struct parse *p, char *line, struct pf_rule *r)
{
	char *s = line, *t, *end;
	long id = -1;

	t = token(&s);
	id = strtol(t, &end, 10);
	if (*end || id <= 0 || id > 99999999) {
		rule_error(p, -1, "'%s' is not a rule id (1..99999999)", t);
		return -1;
	}
	r->id = (uint32_t)id;
	char *cat = token(&s), *sev = token(&s), *fields = token(&s), *flags = token(&s);
	if (flags == NULL) {
		rule_error(p, id, "expected ID CATEGORY SEVERITY FIELDS FLAGS \"NAME\" /PATTERN/");
		return -1;
	}
	int k = lookup(cat, pf_category_names, PF_CAT_MAX);
	if (k < 0) {
		rule_error(p, id, "unknown category '%s'; expected one of sqli xss cmdi traversal "
				"lfi rfi ssrf ssti jndi xxe nosqli ldapi crlf deserialization smuggling "
				"massassign recon",
				cat);
		return -1;
	}
	r->category = (uint8_t)k;
	k = lookup(sev, severities, 5);
	if (k < 0) {
		rule_error(p, id, "unknown severity '%s'; expected low, medium, high or critical",
				sev);
		return -1;
	}
	r->severity = (uint8_t)k;
	if (parse_classes(p, id, fields, &r->classes) < 0 || parse_flags(p, id, flags, &r->flags) < 0)
		return -1;
	if ((r->flags & PF_RULE_SQL) && (r->flags & PF_RULE_SH)) {
		rule_error(p, id, "flags sql and sh exclude each other: a rule sees one text");
		return -1;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	char *q = *s == '"' ? strchr(s + 1, '"') : NULL;
	if (q == NULL) {
		rule_error(p, id, "expected a \"quoted name\" after the flags");
		return -1;
	}
	snprintf(r->name, sizeof(r->name), "%.*s", (int)(q - s - 1), s + 1);
	s = q + 1;
	while (*s == ' ' || *s == '\t')
		s++;
	char *last = strrchr(s, '/');
	if (*s != '/' || last == s) {
		rule_error(p, id, "expected the pattern as /REGEX/ at the end of the line");
		return -1;
	}
	for (char *x = last + 1; *x; x++)
		if (*x != ' ' && *x != '\t' && *x != '\r') {
			rule_error(p, id, "text after the pattern's closing '/'");
			return -1;
		}
	r->pattern = strndup(s + 1, (size_t)(last - s - 1));
	r->line = p->line;
	return r->pattern ? 0 : -1;
}

static unsigned int
hs_flags(const struct pf_rule *r, int som)
{
	/* the start-of-match databases exist to point at bytes; SINGLEMATCH
	 * cannot be combined with it, and the fast ones need nothing more */
	unsigned int f = som ? HS_FLAG_SOM_LEFTMOST : HS_FLAG_SINGLEMATCH;

	if (r->flags & PF_RULE_CASELESS)
		f |= HS_FLAG_CASELESS;
	if (r->flags & PF_RULE_DOTALL)
		f |= HS_FLAG_DOTALL;
	return f;
}

static int
load_file(const char *path, struct pf_engine *e, struct parse *p)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	p->file = path;
	p->line = 0;
	if (f == NULL) {
		fprintf(p->err, "%s:0: cannot read: %s\n", path, strerror(errno));
		p->errors++;
		return -1;
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		p->line++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		char *s = line;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		if (e->n_rules == PF_MAX_RULES) {
			rule_error(p, -1, "more than %d rules", PF_MAX_RULES);
			break;
		}
		struct pf_rule *r = &e->rules[e->n_rules];
		memset(r, 0, sizeof(*r));
		r->file = p->file;
		if (parse_line(p, s, r) < 0)
			continue;
		for (uint32_t i = 0; i < e->n_rules; i++)
			if (e->rules[i].id == r->id) {
				rule_error(p, r->id, "id already used at %s:%d", e->rules[i].file,
						e->rules[i].line);
				r->id = 0;
			}
		hs_expr_info_t *info = NULL;
		hs_compile_error_t *ce = NULL;
		if (r->id && hs_expression_info(r->pattern, hs_flags(r, 1), &info, &ce) != HS_SUCCESS) {
			rule_error(p, r->id, "hyperscan: %s", ce ? ce->message : "invalid pattern");
			hs_free_compile_error(ce);
			r->id = 0;
		} else if (r->id && info->min_width == 0) {
			rule_error(p, r->id, "pattern matches the empty string");
			r->id = 0;
		}
		free(info);
		if (r->id)
			e->n_rules++;
		else
			free(r->pattern);
	}
	free(line);
	fclose(f);
	return 0;
}

/* A hash of everything that shapes the databases. */
static uint64_t
ruleset_hash(const struct pf_engine *e)
{
	uint32_t a = rte_hash_crc(hs_version(), (uint32_t)strlen(hs_version()), 1);
	uint32_t b = 0x6d77;

	for (uint32_t i = 0; i < e->n_rules; i++) {
		const struct pf_rule *r = &e->rules[i];
		a = rte_hash_crc_4byte(r->id, a);
		a = rte_hash_crc_4byte((uint32_t)r->classes << 16 | r->flags, a);
		a = rte_hash_crc_4byte(i, a);
		a = rte_hash_crc(r->pattern, (uint32_t)strlen(r->pattern), a);
		b = rte_hash_crc(r->pattern, (uint32_t)strlen(r->pattern), b ^ a);
	}
	return (uint64_t)a << 32 | b;
}

/* db: 0..PF_NVAR-1 fast, PF_NVAR.. with match starts (pf3: one set for
 * all classes; pf2 files held one per class) */
#define PF_NDB (2 * PF_NVAR)

static void
cache_path(char *out, size_t n, const char *dir, uint64_t h, int db)
{
	snprintf(out, n, "%s/pf3-%016" PRIx64 "-%d.hsdb", dir, h, db);
}

static struct hs_database **
db_slot(struct pf_engine *e, int d)
{
	return d < PF_NVAR ? &e->db[d] : &e->som[d - PF_NVAR];
}

static int
rule_variant(const struct pf_rule *r)
{
	return r->flags & PF_RULE_SQL ? PF_VAR_SQL : r->flags & PF_RULE_SH ? PF_VAR_SH :
		PF_VAR_PLAIN;
}

static int
cache_load(struct pf_engine *e, const char *dir)
{
	char path[4096];
	int loaded = 0;

	for (int d = 0; d < PF_NDB; d++) {
		cache_path(path, sizeof(path), dir, e->hash, d);
		FILE *f = fopen(path, "rb");
		if (f == NULL)
			continue;	/* no rule for that database, or no cache */
		fseek(f, 0, SEEK_END);
		long n = ftell(f);
		fseek(f, 0, SEEK_SET);
		char *buf = n > 0 ? malloc((size_t)n) : NULL;
		int ok = buf && fread(buf, 1, (size_t)n, f) == (size_t)n &&
			hs_deserialize_database(buf, (size_t)n, db_slot(e, d)) == HS_SUCCESS;
		free(buf);
		fclose(f);
		if (!ok)
			return -1;
		loaded++;
	}
	return loaded > 0 ? 0 : -1;
}

static void
cache_store(struct pf_engine *e, const char *dir, FILE *err)
{
	char path[4096], tmp[4200];

	for (int d = 0; d < PF_NDB; d++) {
		char *bytes;
		size_t n;
		struct hs_database *db = *db_slot(e, d);
		if (db == NULL || hs_serialize_database(db, &bytes, &n) != HS_SUCCESS)
			continue;
		cache_path(path, sizeof(path), dir, e->hash, d);
		snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, (int)getpid());
		FILE *f = fopen(tmp, "wb");
		int ok = f && fwrite(bytes, 1, n, f) == n;
		if (f)
			ok &= fclose(f) == 0;
		if (!ok || rename(tmp, path) != 0) {
			fprintf(err, "prefilter.cache: cannot write %s: %s (rules still work, "
					"they are compiled at every start)\n", path, strerror(errno));
			unlink(tmp);
		}
		free(bytes);
	}
}

static int
compile_all(struct pf_engine *e, FILE *err)
{
	const char **exprs = calloc(e->n_rules + 1, sizeof(*exprs));
	unsigned int *flags = calloc(e->n_rules + 1, sizeof(*flags));
	unsigned int *ids = calloc(e->n_rules + 1, sizeof(*ids));
	int rc = 0;

	for (int d = 0; d < PF_NDB && rc == 0; d++) {
		int som = d >= PF_NVAR, var = d % PF_NVAR;
		unsigned int n = 0;
		for (uint32_t i = 0; i < e->n_rules; i++) {
			const struct pf_rule *r = &e->rules[i];
			/* the plain reading holds every rule */
			if (var != PF_VAR_PLAIN && rule_variant(r) != var)
				continue;
			exprs[n] = r->pattern;
			flags[n] = hs_flags(r, som);
			ids[n++] = i;
		}
		if (n == 0)
			continue;
		hs_compile_error_t *ce = NULL;
		if (hs_compile_multi(exprs, flags, ids, n, HS_MODE_BLOCK, NULL, db_slot(e, d), &ce) !=
				HS_SUCCESS) {
			if (ce && ce->expression >= 0) {
				const struct pf_rule *r = &e->rules[ids[ce->expression]];
				fprintf(err, "%s:%d: rule %u: hyperscan: %s\n", r->file, r->line, r->id,
						ce->message);
			} else {
				fprintf(err, "prefilter: hyperscan: %s\n", ce ? ce->message : "failed");
			}
			hs_free_compile_error(ce);
			rc = -1;
		}
	}
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

struct pf_catalog *
pf_catalog_create(void)
{
	return calloc(1, sizeof(struct pf_catalog));
}

static int
same_rule(const struct pf_known *k, const struct pf_rule *r)
{
	return k->id == r->id && k->category == r->category && k->severity == r->severity &&
		strcmp(k->name, r->name) == 0;
}

/*
 * Numbers every rule in the catalog: an entry it already has, else a new
 * one. New entries are all written before n moves, so a reader that was
 * given a ref (by an engine published later) finds it filled. A linear
 * search: 4096 rules against 16384 entries is 67 M compares of an id, well
 * under a second, on the control path, and only at start or reload.
 */
static int
catalog_add(struct pf_catalog *cat, struct pf_engine *e, FILE *err)
{
	uint32_t n = cat->n;

	for (uint32_t i = 0; i < e->n_rules; i++) {
		struct pf_rule *r = &e->rules[i];
		uint32_t k = 0;
		while (k < n && !same_rule(&cat->r[k], r))
			k++;
		if (k == n) {
			if (n == PF_CATALOG_MAX) {
				fprintf(err, "prefilter: more than %d distinct rules since meshwatch "
						"started; restart it to load these\n", PF_CATALOG_MAX);
				return -1;
			}
			cat->r[n] = (struct pf_known){ .id = r->id, .category = r->category,
				.severity = r->severity };
			memcpy(cat->r[n].name, r->name, sizeof(r->name));
			n++;
		}
		r->ref = (uint16_t)k;
	}
	__atomic_store_n(&cat->n, n, __ATOMIC_RELEASE);
	return 0;
}

struct pf_engine *
pf_engine_load(const char *const *files, int n_files, const char *cache_dir,
		struct pf_catalog *cat, FILE *err)
{
	struct pf_engine *e = calloc(1, sizeof(*e));
	struct parse p = { .err = err };

	if (e == NULL)
		return NULL;
	e->rules = calloc(PF_MAX_RULES, sizeof(*e->rules));
	e->files = calloc((size_t)n_files + 1, sizeof(*e->files));
	e->cat = cat ? cat : pf_catalog_create();
	e->own_cat = cat == NULL;
	if (e->rules == NULL || e->files == NULL || e->cat == NULL) {
		pf_engine_free(e);
		return NULL;
	}
	for (int i = 0; i < n_files; i++) {
		if ((e->files[i] = strdup(files[i])) == NULL) {
			pf_engine_free(e);
			return NULL;
		}
		e->n_files++;
		load_file(e->files[i], e, &p);
	}
	if (p.errors == 0 && e->n_rules == 0) {
		fprintf(err, "prefilter: no rules in %d file%s\n", n_files, n_files == 1 ? "" : "s");
		p.errors++;
	}
	if (p.errors) {
		fprintf(err, "prefilter: %d problem%s in the rule files\n", p.errors,
				p.errors == 1 ? "" : "s");
		pf_engine_free(e);
		return NULL;
	}
	e->hash = ruleset_hash(e);
	for (uint32_t i = 0; i < e->n_rules; i++)
		for (int f = 0; f < PF_FIELDS; f++)
			if (e->rules[i].classes & (1u << f))
				e->readings[f] |= (uint8_t)(1u << PF_VAR_PLAIN |
						1u << rule_variant(&e->rules[i]));
	if (cache_dir && cache_dir[0] && cache_load(e, cache_dir) == 0) {
		e->from_cache = 1;
	} else {
		for (int d = 0; d < PF_NDB; d++) {
			hs_free_database(*db_slot(e, d));
			*db_slot(e, d) = NULL;
		}
		if (compile_all(e, err) < 0) {
			pf_engine_free(e);
			return NULL;
		}
		if (cache_dir && cache_dir[0])
			cache_store(e, cache_dir, err);
	}
	for (int d = 0; d < PF_NDB; d++)
		if (*db_slot(e, d) && hs_alloc_scratch(*db_slot(e, d), &e->proto) != HS_SUCCESS) {
			fprintf(err, "prefilter: cannot allocate Hyperscan scratch\n");
			pf_engine_free(e);
			return NULL;
		}
	if (catalog_add(e->cat, e, err) < 0) {
		pf_engine_free(e);
		return NULL;
	}
	return e;
}

void
pf_engine_free(struct pf_engine *e)
{
	if (e == NULL)
		return;
	for (int d = 0; d < PF_NDB; d++)
		hs_free_database(*db_slot(e, d));
	hs_free_scratch(e->proto);
	for (uint32_t i = 0; e->rules && i < e->n_rules; i++)
		free(e->rules[i].pattern);
	free(e->rules);
	for (int i = 0; i < e->n_files; i++)
		free(e->files[i]);
	free(e->files);
	if (e->own_cat)
		free(e->cat);
	free(e);
}

static int
clean_alloc(struct pf_clean *t, uint32_t sets, uint32_t max, int socket)
{
	t->sets = sets;
	t->max = max;
	t->stride = (uint32_t)RTE_ALIGN_CEIL(sizeof(struct pf_clean_slot) + max, 8);
	t->slots = rte_zmalloc_socket("pf_clean", (size_t)sets * 2 * t->stride,
			RTE_CACHE_LINE_SIZE, socket);
	return t->slots != NULL ? 0 : -1;
}

int
pf_ctx_next_make(struct pf_ctx_next *n, const struct pf_engine *e, int socket)
{
	memset(n, 0, sizeof(*n));
	n->e = e;
	if (hs_clone_scratch(e->proto, &n->scratch) != HS_SUCCESS ||
			clean_alloc(&n->clean[0], PF_SHORT_SETS, PF_SHORT_BYTES, socket) < 0 ||
			clean_alloc(&n->clean[1], PF_LONG_SETS, PF_LONG_BYTES, socket) < 0) {
		pf_ctx_next_free(n);
		return -ENOMEM;
	}
	return 0;
}

/* Values seen in traffic (tokens, cookies) leave no copy behind. */
static void
clean_wipe(struct pf_clean *t)
{
	if (t->slots != NULL)
		explicit_bzero(t->slots, (size_t)t->sets * 2 * t->stride);
}

static void
clean_free(struct pf_clean *t)
{
	clean_wipe(t);
	rte_free(t->slots);
	t->slots = NULL;
}

void
pf_ctx_next_free(struct pf_ctx_next *n)
{
	hs_free_scratch(n->scratch);
	n->scratch = NULL;
	clean_free(&n->clean[0]);
	clean_free(&n->clean[1]);
	n->e = NULL;
}

int
pf_ctx_init(struct pf_ctx *c, const struct pf_engine *e, int socket)
{
	struct pf_ctx_next n;

	memset(c, 0, sizeof(*c));
	c->rule_hits = rte_zmalloc_socket("pf_hits", sizeof(uint64_t) * PF_CATALOG_MAX,
			RTE_CACHE_LINE_SIZE, socket);
	if (c->rule_hits == NULL || pf_ctx_next_make(&n, e, socket) < 0) {
		rte_free(c->rule_hits);
		c->rule_hits = NULL;
		return -ENOMEM;
	}
	c->next = &n;
	pf_ctx_switch(c);	/* takes n's pieces, leaves n empty */
	return 0;
}

void
pf_ctx_forget(struct pf_ctx *c)
{
	clean_wipe(&c->clean[0]);
	clean_wipe(&c->clean[1]);
}

void
pf_ctx_free(struct pf_ctx *c)
{
	struct pf_ctx_next mine = { c->e, c->scratch, { c->clean[0], c->clean[1] } };

	pf_ctx_next_free(&mine);
	rte_free(c->rule_hits);
	c->scratch = NULL;
	c->clean[0].slots = c->clean[1].slots = NULL;
	c->rule_hits = NULL;
}
