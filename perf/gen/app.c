/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Application config loader (control path). Every key is validated; an error
 * names the file, the line, the key, the bad value and what was expected.
 */
#include <arpa/inet.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "app.h"
#include "grammar.h"

struct ld {
	const char *path;
	char *err;
	size_t errlen;
	int failed;
	struct app *a;
	const struct grammar *benign;
};

static void
lerr(struct ld *l, const config_setting_t *s, const char *key, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (l->failed)
		return;
	l->failed = 1;
	n = snprintf(l->err, l->errlen, "%s:%d: key '%s': ", l->path,
			s ? config_setting_source_line(s) : 0, key);
	if (n < 0 || (size_t)n >= l->errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(l->err + n, l->errlen - n, fmt, ap);
	va_end(ap);
}

/* Full dotted path of a setting, for messages: endpoints.[3].path */
static const char *
key_of(const config_setting_t *s, char *buf, size_t len)
{
	const config_setting_t *chain[16];
	int n = 0;
	size_t off = 0;

	for (; s && !config_setting_is_root(s) && n < 16; s = config_setting_parent(s))
		chain[n++] = s;
	buf[0] = '\0';
	while (n-- > 0 && off < len) {
		const char *name = config_setting_name(chain[n]);
		int w = name ? snprintf(buf + off, len - off, "%s%s", off ? "." : "", name) :
			snprintf(buf + off, len - off, "[%d]", config_setting_index(chain[n]));
		if (w < 0)
			break;
		off += (size_t)w;
	}
	return buf;
}

static int
num(const config_setting_t *s, double *v)
{
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
		*v = config_setting_get_int(s);
		return 0;
	case CONFIG_TYPE_INT64:
		*v = (double)config_setting_get_int64(s);
		return 0;
	case CONFIG_TYPE_FLOAT:
		*v = config_setting_get_float(s);
		return 0;
	default:
		return -1;
	}
}

/* A numeric member in [lo, hi]; missing members keep *v (the default). */
static void
get_num(struct ld *l, const config_setting_t *g, const char *name, double *v,
		double lo, double hi, int required)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	char key[128];

	if (s == NULL) {
		if (required)
			lerr(l, g, key_of(g, key, sizeof(key)), "missing member '%s'", name);
		return;
	}
	double x;
	if (num(s, &x)) {
		lerr(l, s, key_of(s, key, sizeof(key)), "expected a number");
		return;
	}
	if (x < lo || x > hi) {
		lerr(l, s, key_of(s, key, sizeof(key)), "bad value %g (expected %g..%g)",
				x, lo, hi);
		return;
	}
	*v = x;
}

static const char *
get_str(struct ld *l, const config_setting_t *g, const char *name, int required,
		size_t maxlen)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	char key[128];

	if (s == NULL) {
		if (required)
			lerr(l, g, key_of(g, key, sizeof(key)), "missing member '%s'", name);
		return NULL;
	}
	const char *v = config_setting_get_string(s);
	if (v == NULL) {
		lerr(l, s, key_of(s, key, sizeof(key)), "expected a string");
		return NULL;
	}
	if (strlen(v) >= maxlen) {
		lerr(l, s, key_of(s, key, sizeof(key)), "bad value '%s' (longer than %zu)",
				v, maxlen - 1);
		return NULL;
	}
	return v;
}

static int
get_bool(const config_setting_t *g, const char *name)
{
	int v = 0;

	config_setting_lookup_bool(g, name, &v);
	return v;
}

static int
find_svc(const struct app *a, const char *name)
{
	for (int i = 0; i < a->n_svcs; i++)
		if (strcmp(a->svcs[i].name, name) == 0)
			return i;
	return -1;
}

static int
find_kind(const struct app *a, const char *name)
{
	for (int i = 0; i < a->n_kinds; i++)
		if (strcmp(a->kinds[i].name, name) == 0)
			return i;
	return -1;
}

int
app_endpoint(const struct app *a, const char *id)
{
	for (int i = 0; i < a->n_eps; i++)
		if (strcmp(a->eps[i].id, id) == 0)
			return i;
	return -1;
}

/* Parses "lo,hi" into two integers. */
static int
two_ints(const char *s, int64_t *lo, int64_t *hi)
{
	long long a, b;

	if (sscanf(s, "%lld,%lld", &a, &b) != 2 || a > b)
		return -1;
	*lo = a;
	*hi = b;
	return 0;
}

static enum psem
sem_of(const char *pname, const char *rule)
{
	const char *probe[] = { pname, rule };

	for (int i = 0; i < 2; i++) {
		if (probe[i] == NULL)
			continue;
		if (strstr(probe[i], "url") || strstr(probe[i], "callback") ||
				strstr(probe[i], "webhook"))
			return SEM_URL;
		if (strstr(probe[i], "file") || strstr(probe[i], "path") ||
				strstr(probe[i], "template") || strstr(probe[i], "doc"))
			return SEM_FILE;
		if (strstr(probe[i], "host") || strstr(probe[i], "domain"))
			return SEM_HOST;
	}
	return rule ? SEM_TEXT : SEM_OTHER;
}

/*
 * A parameter spec: "name:type[(args)][?prob]", e.g. "film_id:zipf(1000)",
 * "q:g(search)?0.8", "status:enum(open|closed)".
 */
static int
parse_param(struct ld *l, const config_setting_t *s, const char *spec, struct param *p)
{
	char buf[256], key[128], *type, *args = NULL, *q;
	const struct grammar *bg = l->benign;

	key_of(s, key, sizeof(key));
	if (strlen(spec) >= sizeof(buf)) {
		lerr(l, s, key, "bad value '%.40s...' (parameter spec too long)", spec);
		return -1;
	}
	strcpy(buf, spec);
	memset(p, 0, sizeof(*p));
	p->prob = 1.0;
	p->kind = -1;
	p->rule = -1;
	if ((q = strrchr(buf, '?')) != NULL && !strchr(q, ')')) {
		char *e;
		p->prob = strtod(q + 1, &e);
		if (*e || p->prob <= 0 || p->prob > 1) {
			lerr(l, s, key, "bad value '%s' (expected ?P with 0 < P <= 1)", spec);
			return -1;
		}
		*q = '\0';
	}
	type = strchr(buf, ':');
	if (type == NULL || type == buf || type - buf >= APP_NAME) {
		lerr(l, s, key, "bad value '%s' (expected name:type, name < %d chars)",
				spec, APP_NAME);
		return -1;
	}
	*type++ = '\0';
	strcpy(p->name, buf);
	if ((args = strchr(type, '(')) != NULL) {
		char *close = strrchr(args, ')');
		if (close == NULL || close[1]) {
			lerr(l, s, key, "bad value '%s' (unbalanced parentheses)", spec);
			return -1;
		}
		*args++ = '\0';
		*close = '\0';
	}
	p->sem = SEM_OTHER;
	static const struct { const char *name; enum ptype t; int needs_args; enum psem sem; } types[] = {
		{ "int", PT_INT, 1, SEM_ID }, { "zipf", PT_ZIPF, 1, SEM_ID },
		{ "self", PT_SELF, 0, SEM_ID }, { "owned", PT_OWNED, 1, SEM_ID },
		{ "uuid", PT_UUID, 0, SEM_ID }, { "enum", PT_ENUM, 1, SEM_OTHER },
		{ "const", PT_CONST, 1, SEM_OTHER }, { "g", PT_GRAMMAR, 1, SEM_TEXT },
		{ "user", PT_USER, 0, SEM_TEXT }, { "password", PT_PASSWORD, 0, SEM_OTHER },
		{ "email", PT_EMAIL, 0, SEM_TEXT }, { "name", PT_NAME, 0, SEM_TEXT },
		{ "money", PT_MONEY, 1, SEM_OTHER }, { "bool", PT_BOOL, 0, SEM_OTHER },
		{ "date", PT_DATE, 0, SEM_OTHER }, { "limit", PT_LIMIT, 1, SEM_OTHER },
		{ "page", PT_PAGE, 0, SEM_OTHER }, { "geo", PT_GEO, 0, SEM_OTHER },
	};
	size_t i;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, type) == 0)
			break;
	if (i == sizeof(types) / sizeof(types[0])) {
		lerr(l, s, key, "bad value '%s' (unknown type '%s'; expected int, zipf, "
				"self, owned, uuid, enum, const, g, user, password, email, "
				"name, money, bool, date, limit, page, geo)", spec, type);
		return -1;
	}
	if (types[i].needs_args != (args != NULL)) {
		lerr(l, s, key, "bad value '%s' (type '%s' %s arguments)", spec, type,
				types[i].needs_args ? "needs" : "takes no");
		return -1;
	}
	p->type = types[i].t;
	p->sem = types[i].sem;
	switch (p->type) {
	case PT_INT:
	case PT_MONEY:
	case PT_LIMIT:
		if (two_ints(args, &p->lo, &p->hi) || p->lo < 0) {
			lerr(l, s, key, "bad value '%s' (expected %s(lo,hi), 0 <= lo <= hi)",
					spec, type);
			return -1;
		}
		break;
	case PT_ZIPF:
		p->lo = 1;
		p->hi = atoll(args);
		if (p->hi < 1 || p->hi > 100000000) {
			lerr(l, s, key, "bad value '%s' (expected zipf(N), 1 <= N <= 1e8)", spec);
			return -1;
		}
		break;
	case PT_OWNED:
		if ((p->kind = find_kind(l->a, args)) < 0) {
			lerr(l, s, key, "bad value '%s' (no object kind '%s' in kinds)",
					spec, args);
			return -1;
		}
		break;
	case PT_ENUM:
	case PT_CONST: {
		char *save = NULL;
		for (char *t = strtok_r(args, "|", &save); t; t = strtok_r(NULL, "|", &save)) {
			if (p->n_choices == APP_MAX_CHOICES || strlen(t) >= APP_NAME) {
				lerr(l, s, key, "bad value '%s' (at most %d choices of < %d chars)",
						spec, APP_MAX_CHOICES, APP_NAME);
				return -1;
			}
			strcpy(p->choices[p->n_choices++], t);
		}
		if (p->n_choices == 0 || (p->type == PT_CONST && p->n_choices != 1)) {
			lerr(l, s, key, "bad value '%s' (expected %s)", spec,
					p->type == PT_CONST ? "const(value)" : "enum(a|b|...)");
			return -1;
		}
		break;
	}
	case PT_GRAMMAR:
		if ((p->rule = grammar_rule(bg, args)) < 0) {
			lerr(l, s, key, "bad value '%s' (the benign grammar has no rule '%s')",
					spec, args);
			return -1;
		}
		p->sem = sem_of(p->name, args);
		break;
	default:
		break;
	}
	if (p->sem == SEM_OTHER || p->sem == SEM_TEXT) {
		enum psem by_name = sem_of(p->name, NULL);
		if (by_name != SEM_OTHER)
			p->sem = by_name;
	}
	return 0;
}

static int
parse_params(struct ld *l, const config_setting_t *g, const char *name,
		struct param *out, int max)
{
	const config_setting_t *s = config_setting_get_member(g, name);
	char key[128];
	int n;

	if (s == NULL)
		return 0;
	if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
		lerr(l, s, key_of(s, key, sizeof(key)), "expected a list of parameter specs");
		return -1;
	}
	n = config_setting_length(s);
	if (n > max) {
		lerr(l, s, key_of(s, key, sizeof(key)), "%d parameters (at most %d)", n, max);
		return -1;
	}
	for (int i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(s, i);
		const char *spec = config_setting_get_string(e);
		if (spec == NULL) {
			lerr(l, e, key_of(e, key, sizeof(key)), "expected a string spec");
			return -1;
		}
		if (parse_param(l, e, spec, &out[i]))
			return -1;
	}
	return n;
}

static int
parse_path(struct ld *l, const config_setting_t *s, const char *tmpl, struct endpoint *e)
{
	char key[128];
	const char *p = tmpl;

	key_of(s, key, sizeof(key));
	if (tmpl[0] != '/') {
		lerr(l, s, key, "bad value '%s' (a path template starts with '/')", tmpl);
		return -1;
	}
	e->n_segs = 0;
	while (*p) {
		if (e->n_segs == APP_MAX_SEGS) {
			lerr(l, s, key, "bad value '%s' (at most %d parameters)", tmpl,
					APP_MAX_SEGS - 1);
			return -1;
		}
		struct path_seg *sg = &e->segs[e->n_segs++];
		const char *open = strchr(p, '{');
		size_t n = open ? (size_t)(open - p) : strlen(p);
		if (n >= sizeof(sg->lit)) {
			lerr(l, s, key, "bad value '%s' (literal part too long)", tmpl);
			return -1;
		}
		memcpy(sg->lit, p, n);
		sg->lit[n] = '\0';
		sg->param = -1;
		if (open == NULL)
			break;
		const char *close = strchr(open, '}');
		char spec[128];
		if (close == NULL || (size_t)(close - open - 1) >= sizeof(spec) ||
				e->n_path == 4) {
			lerr(l, s, key, "bad value '%s' (expected {name:type}, at most 4)", tmpl);
			return -1;
		}
		memcpy(spec, open + 1, (size_t)(close - open - 1));
		spec[close - open - 1] = '\0';
		if (parse_param(l, s, spec, &e->path[e->n_path]))
			return -1;
		sg->param = e->n_path++;
		p = close + 1;
	}
	return 0;
}

static int
parse_status(struct ld *l, const config_setting_t *s, const char *v, struct endpoint *e)
{
	char buf[256], key[128], *save = NULL;

	key_of(s, key, sizeof(key));
	snprintf(buf, sizeof(buf), "%s", v);
	for (char *t = strtok_r(buf, " ,", &save); t; t = strtok_r(NULL, " ,", &save)) {
		int code;
		double p;
		if (sscanf(t, "%d:%lf", &code, &p) != 2 || code < 100 || code > 599 ||
				p < 0 || p > 1 || e->n_status == APP_MAX_STATUS) {
			lerr(l, s, key, "bad value '%s' (expected 'CODE:P ...', at most %d, "
					"100 <= CODE <= 599, 0 <= P <= 1)", t, APP_MAX_STATUS);
			return -1;
		}
		e->status[e->n_status++] = (struct status_p){ code, p };
	}
	return 0;
}

static void
parse_endpoint(struct ld *l, const config_setting_t *g, struct endpoint *e)
{
	char key[128];
	const char *v;
	double x;

	memset(e, 0, sizeof(*e));
	e->creates = -1;
	if ((v = get_str(l, g, "id", 1, APP_NAME)))
		strcpy(e->id, v);
	if ((v = get_str(l, g, "service", 1, APP_NAME)) &&
			(e->svc = find_svc(l->a, v)) < 0)
		lerr(l, config_setting_get_member(g, "service"), "service",
				"bad value '%s' (no such service)", v);
	v = get_str(l, g, "method", 1, sizeof(e->method));
	if (v) {
		static const char *methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD" };
		size_t i;
		for (i = 0; i < 6 && strcmp(methods[i], v); i++)
			;
		if (i == 6)
			lerr(l, config_setting_get_member(g, "method"), "method",
					"bad value '%s' (expected GET, POST, PUT, PATCH, DELETE or HEAD)", v);
		else
			strcpy(e->method, v);
	}
	if ((v = get_str(l, g, "path", 1, 256)) && !l->failed)
		parse_path(l, config_setting_get_member(g, "path"), v, e);
	if (l->failed)
		return;
	e->n_query = parse_params(l, g, "query", e->query, APP_MAX_PARAMS);
	e->body = BODY_NONE;
	if ((v = get_str(l, g, "body", 0, 16))) {
		if (!strcmp(v, "json"))
			e->body = BODY_JSON;
		else if (!strcmp(v, "form"))
			e->body = BODY_FORM;
		else if (strcmp(v, "none"))
			lerr(l, config_setting_get_member(g, "body"),
					key_of(config_setting_get_member(g, "body"), key, sizeof(key)),
					"bad value '%s' (expected json, form or none)", v);
	}
	if (!l->failed)
		e->n_body = parse_params(l, g, "fields", e->fields, APP_MAX_PARAMS);
	if (!l->failed)
		e->n_priv = parse_params(l, g, "privileged", e->priv, APP_MAX_PARAMS);
	if (!l->failed && (e->n_body > 0 || e->n_priv > 0) && e->body == BODY_NONE)
		lerr(l, g, key_of(g, key, sizeof(key)), "has fields but body is not json or form");
	e->auth = AUTH_USER;
	if ((v = get_str(l, g, "auth", 0, 16))) {
		if (!strcmp(v, "none"))
			e->auth = AUTH_NONE;
		else if (!strcmp(v, "admin"))
			e->auth = AUTH_ADMIN;
		else if (strcmp(v, "user"))
			lerr(l, config_setting_get_member(g, "auth"), "auth",
					"bad value '%s' (expected none, user or admin)", v);
	}
	x = 0;
	get_num(l, g, "browse", &x, 0, 1000, 0);
	e->browse = (int)x;
	if ((v = get_str(l, g, "creates", 0, APP_NAME)) &&
			(e->creates = find_kind(l->a, v)) < 0)
		lerr(l, config_setting_get_member(g, "creates"), "creates",
				"bad value '%s' (no such object kind)", v);
	e->legacy = get_bool(g, "legacy");
	e->login = get_bool(g, "login");
	e->list = get_bool(g, "list");
	e->latency_us = 800;
	get_num(l, g, "latency_us", &e->latency_us, 10, 2000000, 0);
	const config_setting_t *sz = config_setting_get_member(g, "size");
	if (sz == NULL || config_setting_length(sz) != 2 ||
			num(config_setting_get_elem(sz, 0), &e->size_median) ||
			num(config_setting_get_elem(sz, 1), &e->size_sigma) ||
			e->size_median < 2 || e->size_median > 10000000 ||
			e->size_sigma < 0 || e->size_sigma > 3) {
		lerr(l, sz ? sz : g, key_of(sz ? sz : g, key, sizeof(key)),
				"expected size = [median bytes 2..1e7, sigma 0..3]");
		return;
	}
	if ((v = get_str(l, g, "status", 0, 256)))
		parse_status(l, config_setting_get_member(g, "status"), v, e);
}

/* Calls are resolved after all endpoints are known. */
static void
parse_calls(struct ld *l, const config_setting_t *g, struct endpoint *e)
{
	const config_setting_t *cs = config_setting_get_member(g, "calls");
	char key[128];

	if (cs == NULL)
		return;
	if (config_setting_length(cs) > APP_MAX_CALLS) {
		lerr(l, cs, key_of(cs, key, sizeof(key)), "at most %d calls", APP_MAX_CALLS);
		return;
	}
	for (int i = 0; i < config_setting_length(cs) && !l->failed; i++) {
		const config_setting_t *c = config_setting_get_elem(cs, i);
		struct call *k = &e->calls[e->n_calls];
		const char *to = get_str(l, c, "to", 1, APP_NAME);

		if (to == NULL)
			return;
		if ((k->ep = app_endpoint(l->a, to)) < 0) {
			lerr(l, c, key_of(c, key, sizeof(key)), "bad value '%s' (no such endpoint)", to);
			return;
		}
		if (l->a->eps[k->ep].svc == e->svc) {
			lerr(l, c, key_of(c, key, sizeof(key)),
					"bad value '%s' (a service does not call itself)", to);
			return;
		}
		k->p = 1.0;
		get_num(l, c, "p", &k->p, 0, 1, 0);
		k->forward_auth = get_bool(c, "auth");
		e->n_calls++;
	}
}

static int
call_depth(const struct app *a, int ep, int depth)
{
	int max = depth;

	if (depth > 6)
		return depth;
	for (int i = 0; i < a->eps[ep].n_calls; i++) {
		int d = call_depth(a, a->eps[ep].calls[i].ep, depth + 1);
		if (d > max)
			max = d;
	}
	return max;
}

static void
parse_step(struct ld *l, const config_setting_t *s, const char *v, struct step *st)
{
	char name[APP_NAME + 16], key[128];
	const char *p = v;
	size_t n = strcspn(p, "{?");

	key_of(s, key, sizeof(key));
	st->lo = st->hi = 1;
	st->p = 1.0;
	if (n >= APP_NAME) {
		lerr(l, s, key, "bad value '%s' (name too long)", v);
		return;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	p += n;
	if (*p == '{') {
		int lo, hi, used = 0;
		if (sscanf(p, "{%d,%d}%n", &lo, &hi, &used) != 2 || lo < 0 || hi < lo || hi > 200) {
			lerr(l, s, key, "bad value '%s' (expected {lo,hi}, 0 <= lo <= hi <= 200)", v);
			return;
		}
		st->lo = lo;
		st->hi = hi;
		p += used;
	}
	if (*p == '?') {
		char *e;
		st->p = strtod(p + 1, &e);
		if (*e || st->p <= 0 || st->p > 1) {
			lerr(l, s, key, "bad value '%s' (expected ?P with 0 < P <= 1)", v);
			return;
		}
	} else if (*p) {
		lerr(l, s, key, "bad value '%s' (expected ENDPOINT[{lo,hi}][?P] or @browse)", v);
		return;
	}
	if (!strcmp(name, "@browse")) {
		st->ep = -1;
	} else if ((st->ep = app_endpoint(l->a, name)) < 0) {
		lerr(l, s, key, "bad value '%s' (no endpoint '%s')", v, name);
	} else if (l->a->svcs[l->a->eps[st->ep].svc].edge) {
		lerr(l, s, key, "bad value '%s' (a workflow step is an endpoint behind the "
				"gateway, not the gateway itself)", v);
	}
}

static int
parse_net(const char *s, uint32_t *net, uint32_t *mask)
{
	char buf[64];
	struct in_addr in;
	int bits = 32;
	char *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	if ((slash = strchr(buf, '/')) != NULL) {
		*slash = '\0';
		bits = atoi(slash + 1);
	}
	if (inet_pton(AF_INET, buf, &in) != 1 || bits < 8 || bits > 32)
		return -1;
	*mask = bits == 32 ? 0xffffffffu : ~(0xffffffffu >> bits);
	*net = ntohl(in.s_addr) & *mask;
	return 0;
}

static void
parse_services(struct ld *l, const config_setting_t *list)
{
	struct app *a = l->a;
	char key[128];

	a->n_svcs = config_setting_length(list);
	a->svcs = calloc((size_t)a->n_svcs, sizeof(*a->svcs));
	a->edge_svc = -1;
	for (int i = 0; i < a->n_svcs && !l->failed; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);
		struct service *s = &a->svcs[i];
		const char *v;
		double x;

		if ((v = get_str(l, g, "name", 1, APP_NAME)) == NULL)
			return;
		if (find_svc(a, v) >= 0) {
			lerr(l, g, key_of(g, key, sizeof(key)), "bad value '%s' (duplicate service)", v);
			return;
		}
		strcpy(s->name, v);
		snprintf(s->host, sizeof(s->host), "%s", s->name);
		if ((v = get_str(l, g, "host", 0, sizeof(s->host))))
			strcpy(s->host, v);
		const config_setting_t *ad = config_setting_get_member(g, "addrs");
		if (ad == NULL || !config_setting_is_array(ad) || config_setting_length(ad) < 1 ||
				config_setting_length(ad) > APP_MAX_ADDRS) {
			lerr(l, ad ? ad : g, key_of(ad ? ad : g, key, sizeof(key)),
					"expected addrs = [\"a.b.c.d\", ...] (1..%d IPv4 addresses)",
					APP_MAX_ADDRS);
			return;
		}
		for (int k = 0; k < config_setting_length(ad); k++) {
			const char *av = config_setting_get_string_elem(ad, k);
			struct in_addr in;
			if (av == NULL || inet_pton(AF_INET, av, &in) != 1) {
				lerr(l, ad, key_of(ad, key, sizeof(key)),
						"bad value '%s' (expected an IPv4 address)", av ? av : "?");
				return;
			}
			s->addrs[s->n_addrs++] = ntohl(in.s_addr);
		}
		s->first_inst = a->n_inst;
		a->n_inst += s->n_addrs;
		x = 8080;
		get_num(l, g, "port", &x, 1, 65535, 0);
		s->port = (uint16_t)x;
		s->trace = TRACE_W3C;
		if ((v = get_str(l, g, "trace", 0, 16))) {
			if (!strcmp(v, "b3"))
				s->trace = TRACE_B3;
			else if (!strcmp(v, "xrid"))
				s->trace = TRACE_XRID;
			else if (strcmp(v, "w3c"))
				lerr(l, config_setting_get_member(g, "trace"), "trace",
						"bad value '%s' (expected w3c, b3 or xrid)", v);
		}
		snprintf(s->ua, sizeof(s->ua), "Go-http-client/1.1");
		if ((v = get_str(l, g, "ua", 0, sizeof(s->ua))))
			strcpy(s->ua, v);
		get_num(l, g, "chunked", &s->chunked, 0, 1, 0);
		s->edge = get_bool(g, "edge");
		if (s->edge) {
			if (a->edge_svc >= 0) {
				lerr(l, g, key_of(g, key, sizeof(key)), "a second edge service '%s' "
						"(exactly one gateway is supported)", s->name);
				return;
			}
			a->edge_svc = i;
		}
	}
	if (!l->failed && a->edge_svc < 0)
		lerr(l, list, "services", "no service has edge = true (the gateway)");
}

static void
parse_app_group(struct ld *l, const config_setting_t *g)
{
	struct app *a = l->a;
	const char *v;
	double x;

	if ((v = get_str(l, g, "name", 1, APP_NAME)))
		strcpy(a->name, v);
	if ((v = get_str(l, g, "start", 0, 32))) {
		struct tm tm = { 0 };
		const char *end = strptime(v, "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (end == NULL || *end)
			lerr(l, config_setting_get_member(g, "start"), "app.start",
					"bad value '%s' (expected YYYY-MM-DDTHH:MM:SSZ)", v);
		else
			a->start_epoch = timegm(&tm);
	}
	x = 2000;
	get_num(l, g, "users", &x, 1, 10000000, 0);
	a->users = (int)x;
	a->admin_share = 0.01;
	get_num(l, g, "admin_share", &a->admin_share, 0, 0.5, 0);
	a->nat_share = 0.15;
	get_num(l, g, "nat_share", &a->nat_share, 0, 1, 0);
	a->think_s = 3.0;
	get_num(l, g, "think_s", &a->think_s, 0.01, 600, 0);
	a->vuln = 0.5;
	get_num(l, g, "vulnerable", &a->vuln, 0, 1, 0);
	a->location = 1.0;
	get_num(l, g, "location", &a->location, 0, 1, 0);
	x = 1000;
	get_num(l, g, "user_id_base", &x, 1, 1e12, 0);
	a->user_id_base = (int64_t)x;
	const config_setting_t *nets = config_setting_get_member(g, "client_nets");
	char key[128];
	if (nets == NULL || !config_setting_is_array(nets) || config_setting_length(nets) < 1 ||
			config_setting_length(nets) > 8) {
		lerr(l, nets ? nets : g, nets ? key_of(nets, key, sizeof(key)) : "app",
				"expected client_nets = [\"a.b.c.d/len\", ...] (1..8 networks)");
		return;
	}
	for (int i = 0; i < config_setting_length(nets); i++) {
		const char *nv = config_setting_get_string_elem(nets, i);
		if (nv == NULL || parse_net(nv, &a->client_net[i], &a->client_mask[i])) {
			lerr(l, nets, key_of(nets, key, sizeof(key)),
					"bad value '%s' (expected a.b.c.d/len, 8 <= len <= 32)", nv ? nv : "?");
			return;
		}
		a->n_client_nets++;
	}
}

static void
parse_workflows(struct ld *l, const config_setting_t *list)
{
	struct app *a = l->a;
	char key[128];

	a->n_wfs = config_setting_length(list);
	a->wfs = calloc((size_t)a->n_wfs, sizeof(*a->wfs));
	for (int i = 0; i < a->n_wfs && !l->failed; i++) {
		const config_setting_t *g = config_setting_get_elem(list, i);
		struct workflow *w = &a->wfs[i];
		const char *v;
		double x = 1;

		if ((v = get_str(l, g, "name", 1, APP_NAME)))
			strcpy(w->name, v);
		get_num(l, g, "weight", &x, 1, 100000, 0);
		w->weight = (int)x;
		const config_setting_t *st = config_setting_get_member(g, "steps");
		if (st == NULL || !config_setting_is_array(st) || config_setting_length(st) < 1 ||
				config_setting_length(st) > APP_MAX_STEPS) {
			lerr(l, st ? st : g, key_of(st ? st : g, key, sizeof(key)),
					"expected steps = [\"endpoint\", \"@browse{1,5}\", ...] "
					"(1..%d steps)", APP_MAX_STEPS);
			return;
		}
		for (int k = 0; k < config_setting_length(st) && !l->failed; k++) {
			const char *sv = config_setting_get_string_elem(st, k);
			if (sv == NULL) {
				lerr(l, st, key_of(st, key, sizeof(key)), "expected strings");
				return;
			}
			parse_step(l, st, sv, &w->steps[w->n_steps++]);
		}
	}
}

static const config_setting_t *
need_list(struct ld *l, const config_t *cfg, const char *name)
{
	const config_setting_t *s = config_lookup(cfg, name);

	if (s == NULL || !config_setting_is_list(s) || config_setting_length(s) < 1) {
		lerr(l, s, name, "expected a non-empty list %s = ( {...}, ... )", name);
		return NULL;
	}
	return s;
}

static void
load(struct ld *l, config_t *cfg)
{
	struct app *a = l->a;
	const config_setting_t *s;
	char key[128];

	if ((s = config_lookup(cfg, "app")) == NULL || !config_setting_is_group(s)) {
		lerr(l, s, "app", "expected a group app = { name = ...; }");
		return;
	}
	parse_app_group(l, s);
	if ((s = config_lookup(cfg, "kinds")) != NULL) {
		if (config_setting_length(s) > APP_MAX_KINDS) {
			lerr(l, s, "kinds", "at most %d object kinds", APP_MAX_KINDS);
			return;
		}
		for (int i = 0; i < config_setting_length(s) && !l->failed; i++) {
			const config_setting_t *g = config_setting_get_elem(s, i);
			const char *v = get_str(l, g, "name", 1, APP_NAME);
			double x = 100000;

			get_num(l, g, "first_id", &x, 1, 1e15, 0);
			if (v) {
				strcpy(a->kinds[a->n_kinds].name, v);
				a->kinds[a->n_kinds++].first_id = (int64_t)x;
			}
		}
	}
	if (l->failed || (s = need_list(l, cfg, "services")) == NULL)
		return;
	parse_services(l, s);
	if (l->failed || (s = need_list(l, cfg, "endpoints")) == NULL)
		return;
	a->n_eps = config_setting_length(s);
	a->eps = calloc((size_t)a->n_eps, sizeof(*a->eps));
	int n = a->n_eps;
	a->n_eps = 0;
	for (int i = 0; i < n && !l->failed; i++) {
		const config_setting_t *g = config_setting_get_elem(s, i);
		parse_endpoint(l, g, &a->eps[i]);
		if (!l->failed && app_endpoint(a, a->eps[i].id) >= 0)
			lerr(l, g, key_of(g, key, sizeof(key)), "bad value '%s' (duplicate endpoint id)",
					a->eps[i].id);
		a->n_eps++;
	}
	for (int i = 0; i < n && !l->failed; i++)
		parse_calls(l, config_setting_get_elem(s, i), &a->eps[i]);
	for (int i = 0; i < n && !l->failed; i++) {
		if (call_depth(a, i, 0) > 5)
			lerr(l, config_setting_get_elem(s, i), a->eps[i].id,
					"downstream calls nest deeper than 5 (or loop)");
	}
	if (l->failed)
		return;
	const config_setting_t *idp = config_lookup(cfg, "idp");
	if (idp == NULL) {
		lerr(l, NULL, "idp", "missing group idp = { login = \"endpoint\"; ... }");
		return;
	}
	const char *v = get_str(l, idp, "login", 1, APP_NAME);
	if (v && ((a->login_ep = app_endpoint(a, v)) < 0 || !a->eps[a->login_ep].login))
		lerr(l, config_setting_get_member(idp, "login"), "idp.login",
				"bad value '%s' (expected an endpoint with login = true)", v);
	snprintf(a->issuer, sizeof(a->issuer), "https://idp.%s.internal", a->name);
	if ((v = get_str(l, idp, "issuer", 0, sizeof(a->issuer))))
		strcpy(a->issuer, v);
	strcpy(a->jwt_alg, "RS256");
	if ((v = get_str(l, idp, "alg", 0, sizeof(a->jwt_alg)))) {
		if (strcmp(v, "RS256") && strcmp(v, "HS256") && strcmp(v, "ES256"))
			lerr(l, config_setting_get_member(idp, "alg"), "idp.alg",
					"bad value '%s' (expected RS256, ES256 or HS256)", v);
		else
			strcpy(a->jwt_alg, v);
	}
	double ttl = 900;
	get_num(l, idp, "ttl", &ttl, 60, 86400 * 30, 0);
	a->token_ttl = (int)ttl;
	strcpy(a->sub_prefix, "u");
	if ((v = get_str(l, idp, "sub_prefix", 0, sizeof(a->sub_prefix))))
		strcpy(a->sub_prefix, v);
	if (l->failed || (s = need_list(l, cfg, "workflows")) == NULL)
		return;
	parse_workflows(l, s);
	int browsable = 0;
	for (int i = 0; i < a->n_eps; i++)
		browsable += a->eps[i].browse > 0;
	if (!l->failed && browsable == 0)
		lerr(l, NULL, "endpoints", "no endpoint has browse > 0 (needed by @browse)");
}

struct app *
app_load(const char *path, const struct grammar *benign, char *err, size_t errlen)
{
	config_t cfg;
	struct app *a = calloc(1, sizeof(*a));
	struct ld l = { .path = path, .err = err, .errlen = errlen, .a = a, .benign = benign };

	if (a == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	snprintf(a->path, sizeof(a->path), "%s", path);
	config_init(&cfg);
	if (!config_read_file(&cfg, path)) {
		if (config_error_type(&cfg) == CONFIG_ERR_FILE_IO)
			snprintf(err, errlen, "%s: cannot read file", path);
		else
			snprintf(err, errlen, "%s:%d: %s", config_error_file(&cfg) ?
					config_error_file(&cfg) : path,
					config_error_line(&cfg), config_error_text(&cfg));
		config_destroy(&cfg);
		app_free(a);
		return NULL;
	}
	load(&l, &cfg);
	config_destroy(&cfg);
	if (l.failed) {
		app_free(a);
		return NULL;
	}
	return a;
}

void
app_free(struct app *a)
{
	if (a == NULL)
		return;
	free(a->svcs);
	free(a->eps);
	free(a->wfs);
	free(a);
}
