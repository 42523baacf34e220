/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An application described as config (configs/apps/NAME.conf, documented in
 * configs/apps/README.md): services, endpoints, workflows, identity provider,
 * users. Loaded and validated once at start; read-only afterwards.
 */
#ifndef GEN_APP_H
#define GEN_APP_H

#include <stddef.h>
#include <stdint.h>

#define APP_NAME 32
#define APP_MAX_ADDRS 8
#define APP_MAX_PARAMS 16
#define APP_MAX_CALLS 8
#define APP_MAX_STATUS 8
#define APP_MAX_STEPS 24
#define APP_MAX_KINDS 8
#define APP_MAX_CHOICES 8

enum ptype {
	PT_INT,		/* int(lo,hi) */
	PT_ZIPF,	/* zipf(n): popular ids 1..n */
	PT_SELF,	/* the actor's own user id */
	PT_OWNED,	/* owned(kind): an object the actor created */
	PT_UUID,
	PT_ENUM,	/* enum(a|b|c) */
	PT_CONST,	/* const(x) */
	PT_GRAMMAR,	/* g(rule): a rule of the benign grammar */
	PT_USER,	/* the actor's user name */
	PT_PASSWORD,
	PT_EMAIL,
	PT_NAME,	/* the actor's display name */
	PT_MONEY,	/* money(lo,hi) */
	PT_BOOL,
	PT_DATE,
	PT_LIMIT,	/* limit(lo,hi): page size; scales list responses */
	PT_PAGE,
	PT_GEO,		/* a latitude,longitude pair */
};

/* What an attacker would aim at in a parameter. */
enum psem { SEM_ID, SEM_TEXT, SEM_URL, SEM_FILE, SEM_HOST, SEM_OTHER };

struct param {
	char name[APP_NAME];
	enum ptype type;
	enum psem sem;
	int64_t lo, hi;
	double prob;		/* probability the parameter is sent at all */
	int rule;		/* PT_GRAMMAR: rule index in the benign grammar */
	int kind;		/* PT_OWNED: object kind */
	int n_choices;
	char choices[APP_MAX_CHOICES][APP_NAME];
};

enum body_kind { BODY_NONE, BODY_JSON, BODY_FORM };
enum auth_kind { AUTH_NONE, AUTH_USER, AUTH_ADMIN };
enum trace_style { TRACE_W3C, TRACE_B3, TRACE_XRID };

struct status_p {
	int code;
	double p;
};

struct call {
	int ep;			/* endpoint index */
	double p;
	int forward_auth;	/* forward the caller's Authorization header */
};

/* A path template is literal text with {param} holes: segs alternate. */
#define APP_MAX_SEGS 8
struct path_seg {
	char lit[64];		/* literal text before the parameter */
	int param;		/* index into path_params, -1 at the end */
};

struct endpoint {
	char id[APP_NAME];
	int svc;
	char method[8];
	int n_segs;
	struct path_seg segs[APP_MAX_SEGS];
	int n_path;
	struct param path[4];
	int n_query;
	struct param query[APP_MAX_PARAMS];
	enum body_kind body;
	int n_body;
	struct param fields[APP_MAX_PARAMS];
	int n_priv;
	struct param priv[APP_MAX_PARAMS];	/* mass-assignment targets */
	enum auth_kind auth;
	int browse;		/* weight among browse steps, 0 if not browsable */
	int creates;		/* object kind created, -1 if none */
	int legacy;		/* outdated endpoint, returns others' records */
	int login;		/* the identity provider's token endpoint */
	int list;		/* response size scales with limit */
	double size_median, size_sigma;
	int n_status;
	struct status_p status[APP_MAX_STATUS];
	int n_calls;
	struct call calls[APP_MAX_CALLS];
	double latency_us;	/* median own processing time */
};

struct service {
	char name[APP_NAME];
	char host[64];		/* Host header value */
	int n_addrs;
	uint32_t addrs[APP_MAX_ADDRS];	/* IPv4, host order */
	uint16_t port;
	enum trace_style trace;
	char ua[64];		/* User-Agent of its outgoing calls */
	double chunked;		/* share of responses sent chunked */
	int edge;		/* the gateway: root spans start here */
	int first_inst;		/* index of addrs[0] in the global instance list */
};

struct step {
	int ep;			/* endpoint, or -1 for a browse step */
	int lo, hi;		/* repetitions */
	double p;		/* probability the step happens at all */
};

struct workflow {
	char name[APP_NAME];
	int weight;
	int n_steps;
	struct step steps[APP_MAX_STEPS];
};

struct kind {
	char name[APP_NAME];
	int64_t first_id;
};

struct app {
	char name[APP_NAME];
	char path[256];
	int n_svcs;
	struct service *svcs;
	int n_eps;
	struct endpoint *eps;
	int n_wfs;
	struct workflow *wfs;
	int n_kinds;
	struct kind kinds[APP_MAX_KINDS];
	int n_inst;		/* service instances (addresses) in all */
	int login_ep;
	int edge_svc;
	char issuer[96];
	char jwt_alg[8];
	int token_ttl;		/* seconds */
	char sub_prefix[16];	/* JWT subject: this, then the user id */
	double location;	/* share of creating calls answered with a Location */
	int users;
	double admin_share, nat_share;
	int n_client_nets;
	uint32_t client_net[8], client_mask[8];
	int64_t start_epoch;	/* capture start, seconds since 1970 */
	double think_s;		/* mean think time between steps */
	double vuln;		/* share of behavioral attacks the app lets through */
	int64_t user_id_base;
};

struct grammar;

/* Returns NULL and fills err ("file:line: key 'k': ...") on any problem. */
struct app *app_load(const char *path, const struct grammar *benign,
		char *err, size_t errlen);
void app_free(struct app *a);

int app_endpoint(const struct app *a, const char *id);

#endif /* GEN_APP_H */
