/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hyperscan injection pre-filter.
 *
 * Control path (pf_rules.c, main lcore at start): rule files are parsed,
 * compiled into block-mode databases per reading, cached on disk under a
 * hash of the rule set, and a prototype scratch is sized for all of them.
 * Each field is scanned on its own (Hyperscan's advice: separate inputs,
 * separate scans); a match of a rule that does not hold for the field's
 * class is dropped in the callback. One database for all classes, not one
 * per class: most rules hold for every class, and six near-copies of a
 * 2 MB database took turns evicting each other from the core's cache.
 *
 * Two databases per reading: a fast one (single match per rule, no start
 * offsets) that every field goes through, and one that reports where each
 * match starts, run only on the rare field the fast one flagged. The plain
 * reading holds every rule; the SQL and shell readings hold only their
 * rules and run only when that reading changes the text.
 *
 * Hot path (prefilter.c, rx lcores): each rx lcore owns a struct pf_ctx with
 * a scratch cloned from the prototype and its own hit counters. Every field
 * of a call is normalized (normalize.c) and scanned; the match callback only
 * records (rule, offset); the event gets a category bitmap, the strongest
 * matches and the normalized text they point into (MW_FIELD_norm).
 */
#ifndef DP_PREFILTER_H
#define DP_PREFILTER_H

#include <stdint.h>
#include <stdio.h>

#include "mw_event.h"

#define PF_CATEGORIES(X) \
	X(sqli) X(xss) X(cmdi) X(traversal) X(lfi) X(rfi) X(ssrf) X(ssti) X(jndi) \
	X(xxe) X(nosqli) X(ldapi) X(crlf) X(deserialization) X(smuggling) X(massassign) X(recon)
enum pf_category {
#define X(c) PF_CAT_##c,
	PF_CATEGORIES(X)
#undef X
	PF_CAT_MAX
};

/* Categories that hint at a behaviour (a privileged property named, a
 * scanner's favourite path) rather than mark a payload: the sequence models
 * weigh them, the payload model does not read their matches. */
static inline int
pf_hint_category(unsigned int c)
{
	return c == PF_CAT_massassign || c == PF_CAT_recon;
}

/* What a rule can look at. Query, form and JSON values are one class: the
 * same kind of input reaching the same code on the server. */
#define PF_CLASSES(X) X(path) X(names) X(values) X(headers) X(cookies) X(body)
enum pf_class {
#define X(c) PF_CLASS_##c,
	PF_CLASSES(X)
#undef X
	PF_CLASS_MAX
};

/*
 * Not a class but a kind of header value: Referer and Origin, which are
 * URLs by definition (the page a browser was on). A rule reads them where
 * its FIELDS say "urls" (any does) and they are recorded as headers: a
 * rule that flags a URL given as a value ("a URL as a parameter value")
 * says nothing there, and leaves "urls" out.
 */
#define PF_FIELD_URLS	PF_CLASS_MAX
#define PF_FIELDS	(PF_CLASS_MAX + 1)

#define PF_RULE_CASELESS	(1u << 0)	/* i */
#define PF_RULE_DOTALL		(1u << 1)	/* s */
#define PF_RULE_SQL		(1u << 2)	/* sql: scan the SQL-normalized text */
#define PF_RULE_SH		(1u << 3)	/* sh: scan the shell-normalized text */

/* The texts a field is scanned as; a database per variant. */
enum pf_variant { PF_VAR_PLAIN, PF_VAR_SQL, PF_VAR_SH, PF_NVAR };

#define PF_MAX_RULES 4096

struct pf_rule {
	uint32_t id;
	uint8_t category;	/* enum pf_category */
	uint8_t severity;	/* 1 low, 2 medium, 3 high, 4 critical */
	uint16_t classes;	/* bitmask of enum pf_class */
	uint16_t flags;		/* PF_RULE_* */
	uint16_t ref;		/* its number in the catalog: what events carry */
	char name[80];
	char *pattern;
	const char *file;	/* the engine's copy of the path */
	int line;
};

/*
 * Every rule the appliance has run since it started, under a number that
 * never changes. Events, explanations and hit counters name rules by it, so
 * a call scanned before a reload and written after it (or an actor's
 * explanation kept for hours) still names the rule that matched, with the
 * name and severity it had then. Append-only: a rule set loaded again adds
 * only the rules that are new or changed (same id, other name, category or
 * severity). An entry is written before any engine that refers to it is
 * published, and never changes after; rx lcores read severities from it,
 * the main lcore names.
 */
#define PF_CATALOG_MAX 16384

struct pf_known {
	uint32_t id;
	uint8_t category, severity;
	char name[80];
};

struct pf_catalog {
	uint32_t n;
	struct pf_known r[PF_CATALOG_MAX];
};

/* The rule numbered ref, or NULL for a number the catalog never gave. */
static inline const struct pf_known *
pf_catalog_get(const struct pf_catalog *cat, uint32_t ref)
{
	return cat != NULL && ref < __atomic_load_n(&cat->n, __ATOMIC_ACQUIRE) ? &cat->r[ref] :
		NULL;
}

struct hs_database;
struct hs_scratch;

struct pf_engine {
	struct pf_rule *rules;
	uint32_t n_rules;
	struct hs_database *db[PF_NVAR];	/* fast; NULL: no rule for that reading */
	struct hs_database *som[PF_NVAR];	/* the same rules, with match starts */
	uint8_t readings[PF_FIELDS];		/* bit v: a rule of the field reads v */
	struct hs_scratch *proto;
	uint64_t hash;			/* of the rule set, keys the cache */
	int from_cache;
	struct pf_catalog *cat;		/* where its rules' refs point */
	int own_cat;			/* made for it: freed with it */
	char **files;			/* its own copies of the paths */
	int n_files;
};

/*
 * A value made only of letters, digits and underscores, this short, carries
 * no injection: payloads need punctuation, whitespace or more length (the
 * shortest bare command a rule knows, whoami, has six letters). Such values
 * (ids, enums, flags, page numbers) are a large share of an API's
 * parameters, so they are not scanned; test-prefilter checks that no rule
 * could fire on one.
 *
 * So is a value that is exactly a UUID (8-4-4-4-12 hex digits): request and
 * correlation ids, idempotency keys, object ids, on most calls of a
 * microservice application and each one new, so no clean-value table can
 * hold them. 122 random bits in a fixed shape are no payload in any class;
 * a rule that fires on one (a hex signature in its last twelve digits)
 * fires by chance. (This is a judgement on the type, not a proof about the
 * rules: an operator's rule written to match one particular UUID, an
 * indicator of compromise, would not fire.)
 *
 * Names (query, form and JSON keys) are never inert: a name is matched
 * whole, and the properties mass assignment sets are short words (role,
 * tier, plan, admin). An endpoint's names repeat on every call, so the
 * clean-value table, not Hyperscan, answers for them after the first.
 */
#define PF_INERT_MAX 5

/*
 * Values repeat: the same User-Agent, Host, content type, page sizes, bearer
 * token and cookie line on call after call of a client. Each rx lcore
 * remembers values it found clean (class and exact bytes, compared in full,
 * so no crafted collision can skip a scan) and does not scan them again:
 * short values in one table, values of up to 1 KiB (headers above all,
 * which were nine tenths of the bytes Hyperscan saw) in another. Both are
 * two-way set-associative, the way not used last giving way, so two
 * clients' values that hash alike do not take turns evicting each other.
 * Values are kept in the lcore's memory as the packets that carried them
 * are, zeroed at exit, never logged.
 */
#define PF_SHORT_BYTES 120		/* slots of 128 bytes */
#define PF_SHORT_SETS 4096		/* power of two; x2 ways: 1 MiB */
#define PF_LONG_BYTES 1024		/* longer values are always scanned */
#define PF_LONG_SETS 2048		/* power of two; x2 ways: 4 MiB */

struct pf_clean_slot {
	uint32_t hash;
	uint16_t len;
	uint8_t cls;
	uint8_t mru;			/* in a set's way 0: the way used last */
	char v[];
};

struct pf_clean {
	char *slots;			/* sets x 2 ways x stride bytes */
	uint32_t sets;			/* power of two */
	uint32_t stride;		/* bytes per slot */
	uint32_t max;			/* longest value kept */
};

/* Per rx lcore. */
#define PF_WORK 4096		/* longest value normalized; longer ones are cut */
#define PF_MAX_HITS 32		/* matches kept while scanning one value */

struct pf_hit {
	uint16_t rule;
	uint16_t from, to;
};

/*
 * A rule set's instance for one rx lcore, as a reload hands it over: the
 * engine, a scratch cloned for it, and empty clean-value tables (a value
 * clean under the old rules may not be under the new). The rx lcore swaps
 * these into its context between bursts (pf_ctx_switch) and leaves the ones
 * it replaced here; the main lcore frees them once RCU says no rx lcore can
 * still be inside a scan with them.
 */
struct pf_ctx_next {
	const struct pf_engine *e;
	struct hs_scratch *scratch;
	struct pf_clean clean[2];
};

struct pf_ctx {
	const struct pf_engine *e;
	struct hs_scratch *scratch;
	struct pf_clean clean[2];		/* short, long; .slots NULL: none */
	struct pf_ctx_next *next;		/* set by a reload, taken by the rx lcore */
	uint64_t *rule_hits;		/* [PF_CATALOG_MAX] by ref, read by the main lcore */
	uint64_t fields, normalized, inert;	/* pf_scan calls; decoded; skipped as inert */
	uint64_t cached;			/* skipped: known clean */
	uint64_t scans, scanned_bytes;		/* hs_scan calls */
	struct pf_hit hit[PF_MAX_HITS];
	uint32_t n_hit, n_base;		/* hits of the current text start at n_base */
	uint32_t field;			/* the class being scanned, or PF_FIELD_URLS */
	char work[2][PF_WORK];
};

/* ---- control path ---- */

/* Parses the files, compiles (or loads from cache_dir, if not NULL), gives
 * every rule its number in cat (NULL: a catalog of the engine's own), and
 * prints every problem to err as FILE:LINE: rule ID: message. NULL on error;
 * then cat has not changed. */
struct pf_engine *pf_engine_load(const char *const *files, int n_files,
		const char *cache_dir, struct pf_catalog *cat, FILE *err);
void pf_engine_free(struct pf_engine *e);
struct pf_catalog *pf_catalog_create(void);
int pf_ctx_init(struct pf_ctx *c, const struct pf_engine *e, int socket);
void pf_ctx_free(struct pf_ctx *c);
/* An instance of e for an rx lcore on socket; 0 or -ENOMEM. */
int pf_ctx_next_make(struct pf_ctx_next *n, const struct pf_engine *e, int socket);
/* Frees what n holds (after a switch: what the rx lcore gave up), values
 * seen in traffic wiped first. */
void pf_ctx_next_free(struct pf_ctx_next *n);
/* Forgets every value known clean (benchmarks start each pass cold). */
void pf_ctx_forget(struct pf_ctx *c);

extern const char *const pf_category_names[PF_CAT_MAX];
extern const char *const pf_class_names[PF_CLASS_MAX];

/* ---- hot path ---- */

/* Between bursts: takes a reload's instance if one waits. The pieces it
 * replaces go back into *next, which the main lcore then owns again. */
static inline void
pf_ctx_switch(struct pf_ctx *c)
{
	struct pf_ctx_next *n = __atomic_load_n(&c->next, __ATOMIC_ACQUIRE);
	struct pf_ctx_next old;

	if (__builtin_expect(n == NULL, 1))
		return;
	old = (struct pf_ctx_next){ c->e, c->scratch, { c->clean[0], c->clean[1] } };
	c->e = n->e;
	c->scratch = n->scratch;
	c->clean[0] = n->clean[0];
	c->clean[1] = n->clean[1];
	*n = old;
	__atomic_store_n(&c->next, NULL, __ATOMIC_RELEASE);
}

/*
 * Normalizes and scans one field of the call; matches go into ev. name is
 * the parameter's name (or NULL), kept beside the value in MW_FIELD_norm.
 */
void pf_scan(struct pf_ctx *c, struct mw_event *ev, enum pf_class cls, const char *name,
		uint32_t name_len, const char *val, uint32_t len);

/* A Referer or Origin header's value (PF_FIELD_URLS), as a header. */
void pf_scan_url(struct pf_ctx *c, struct mw_event *ev, const char *name, uint32_t name_len,
		const char *val, uint32_t len);

/* A query string or urlencoded form: names and values, each decoded. */
void pf_scan_form(struct pf_ctx *c, struct mw_event *ev, const char *s, uint32_t len);
/* A JSON document (possibly cut short): keys and string/number values. */
void pf_scan_json(struct pf_ctx *c, struct mw_event *ev, const char *s, uint32_t len);
/* A Cookie header: each cookie value. */
void pf_scan_cookies(struct pf_ctx *c, struct mw_event *ev, const char *s, uint32_t len);

/* ---- normalization (normalize.c), exposed for tests and benchmarks ---- */

/* URL, HTML and UTF-8 decoding until stable; returns the length in out
 * (at most cap). Returns -1 when s needs nothing done (scan it as it is). */
int pf_normalize(const char *s, uint32_t n, char *out, uint32_t cap);
/* Comments out, whitespace runs to one space: for rules flagged sql. */
uint32_t pf_sql_collapse(const char *s, uint32_t n, char *out, uint32_t cap);
/* Whether pf_sql_collapse would change s at all (n at most its cap), as
 * the scan finds out while it classes the bytes (prefilter.c). */
int pf_sql_changes(const char *s, uint32_t n);
/* Quotes, backslashes, carets and empty expansions ($@, $*, ${}) out,
 * whitespace runs to one space: c'a't, who$@ami, wh$()oami and w\hoami read
 * as words,
 * the way a shell (or cmd.exe for ^) reads them. For rules flagged sh. */
uint32_t pf_sh_collapse(const char *s, uint32_t n, char *out, uint32_t cap);

#endif
