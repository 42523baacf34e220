/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The feature schema: what the sequence models see of one element. One
 * definition serves the appliance and meshwatch-train, so a model always
 * sees the features it was trained on; the schema's hash is written into
 * every sequence model file and checked when the model is loaded.
 *
 * Two levels:
 *   call   an element of a trace sequence: one API call (struct mw_event)
 *          plus what its trace knew before it (position, time since the
 *          previous call);
 *   trace  an element of an actor sequence: the summary of one finished
 *          trace (struct seq_summary) plus what its actor knew before it
 *          (struct mw_actor_history: object ids and endpoints already seen,
 *          time since its previous trace, and running counts and maxima
 *          over all its earlier traces, because a GRU counts and latches
 *          badly over hundreds of steps and the attacks it must see are
 *          exactly those: the 150th failed login, the one injection among
 *          forty harmless traces).
 *
 * Each level is an X-macro list of (name, width) groups; values are scaled
 * to about [0, 1] with log2 for sizes and times, so no normalization
 * statistics travel with a model. Change a group (order, width, meaning)
 * and bump MW_FEATURES_VERSION: old models are then refused, not misread.
 */
#ifndef INF_SCHEMA_H
#define INF_SCHEMA_H

#include <stdbool.h>
#include <stdint.h>

#include "mw_event.h"
#include "prefilter.h"

#define MW_FEATURES_VERSION 13
/* Model probabilities carried as features are those of the non-benign
 * classes, 1 .. SLOTS (class 0 is benign: one minus their sum). */
#define MW_PAYLOAD_SLOTS 8	/* payload-model classes carried */
#define MW_SEQ_SLOTS 16		/* trace-model classes carried to the actor */
#define MW_SUMMARY_IDS 8	/* object ids per trace summary */
#define MW_SUMMARY_TEMPLATES 8	/* distinct endpoints per trace summary */

#define MW_CALL_FEATURES(X) \
	X(method, MW_METHOD_MAX)	/* one-hot */ \
	X(status_class, 6)		/* none, 1xx .. 5xx */ \
	X(status_auth, 2)		/* 401, 403 */ \
	X(status_404, 1) \
	X(status_429, 1) \
	X(call_flags, 4)		/* no response, gap, mid-stream, pipelined */ \
	X(req_bytes, 1) \
	X(resp_bytes, 1) \
	X(req_hdr_bytes, 1) \
	X(latency, 1) \
	X(since_prev, 1)		/* since the trace's previous call */ \
	X(position, 1)			/* index in the trace */ \
	X(object_ids, 1)		/* {id} segments in the path */ \
	X(root, 1)			/* the trace's root (mw_trace_root) */ \
	X(actor_kind, MW_ACTOR_MAX) \
	X(jwt_state, MW_JWT_STATE_MAX) \
	X(jwt_alg, 4)			/* absent, alg none, HMAC, public key */ \
	X(pf_category, PF_CAT_MAX) \
	X(pf_field, PF_CLASS_MAX) \
	X(pf_matches, 1) \
	X(payload, MW_PAYLOAD_SLOTS)	/* payload-model probabilities */ \
	X(endpoint_rarity, 1)		/* how rarely its endpoint is called */ \
	X(resp_excess, 1)		/* response size against its endpoint's usual */ \
	X(foreign_object, 1)		/* names an object another principal used first */ \
	X(trespass, 1)			/* that, where the endpoint's objects are rarely shared */ \
	X(login, 1)			/* a log-in (user name and password fields) */ \
	X(account_failures, 1)		/* the account's recent failed log-ins (mw_logins) */ \
	X(account_unproven, 1)		/* no log-in to the account was seen to succeed */ \
	X(password_spread, 1)		/* accounts its password recently failed on */ \
	X(privileged, 1)		/* its JWT claims an administrative role */ \
	X(overreach, 1)			/* unprivileged, on an endpoint the privileged use */ \
	X(jwt_lifetime, 1)		/* its JWT's exp - iat */ \
	X(self_object, 1)		/* a path id is the caller's own (MW_EV_SELF_OBJECT) */ \
	X(impersonation, 1)		/* not, where callers usually name themselves */ \
	X(page_size, 1)			/* records asked for (limit=, per_page=, ...) */ \
	X(page_excess, 1)		/* that against its endpoint's usual */ \
	X(unusual_params, 1)		/* a parameter its endpoint's callers rarely send */

#define MW_TRACE_FEATURES(X) \
	X(calls, 1) \
	X(duration, 1) \
	X(since_prev, 1)		/* since the actor's previous trace */ \
	X(status_mix, 6)		/* fraction per status class */ \
	X(auth_failures, 1)		/* fraction 401/403 */ \
	X(not_found, 1)			/* fraction 404 */ \
	X(throttled, 1)			/* fraction 429 */ \
	X(writes, 1)			/* fraction POST/PUT/PATCH/DELETE */ \
	X(req_bytes, 1) \
	X(resp_bytes, 1) \
	X(object_ids, 1) \
	X(new_ids, 1)			/* fraction of ids the actor never used */ \
	X(endpoints, 1) \
	X(new_endpoints, 1)		/* fraction of endpoints new to the actor */ \
	X(timed_out, 1)			/* ended by idle timeout, not by its root */ \
	X(actor_kind, MW_ACTOR_MAX) \
	X(jwt_state, MW_JWT_STATE_MAX) \
	X(jwt_alg, 4) \
	X(pf_category, PF_CAT_MAX) \
	X(payload_max, MW_PAYLOAD_SLOTS) \
	X(trace_model, MW_SEQ_SLOTS)	/* the trace model's last probabilities */ \
	X(rarest_endpoint, 1)		/* highest endpoint_rarity of its calls */ \
	X(resp_excess_max, 1)		/* highest resp_excess of its calls */ \
	X(foreign_objects, 1)		/* fraction of its calls with foreign_object */ \
	X(trespass_max, 1)		/* highest trespass of its calls */ \
	X(logins, 1) \
	X(unproven_failures, 1)		/* failed log-ins to unproven accounts */ \
	X(account_failures_max, 1) \
	X(password_spread_max, 1) \
	X(overreach_max, 1) \
	X(jwt_lifetime_max, 1) \
	X(impersonation_max, 1) \
	X(page_size_max, 1) \
	X(page_excess_max, 1)		/* highest page_excess of its calls */ \
	X(unusual_params_max, 1) \
	X(new_origin, 1)		/* its client (X-Forwarded-For, else the peer) new to the actor */ \
	X(history_traces, 1)		/* the actor's earlier traces ... */ \
	X(history_calls, 1)		/* ... their calls */ \
	X(history_auth_failures, 1)	/* ... their 401/403 calls */ \
	X(history_not_found, 1)		/* ... their 404 calls */ \
	X(history_writes, 1)		/* ... their writes */ \
	X(history_ids, 1)		/* ... distinct object ids */ \
	X(history_endpoints, 1)		/* ... distinct endpoints */ \
	X(history_trespass, 1)		/* ... their calls' trespass, summed */ \
	X(history_resp_excess, 1)	/* ... their calls' resp_excess over 0, summed */ \
	X(history_excess_per_call, 1)	/* ... that per call */ \
	X(history_logins, 1)		/* ... their log-ins */ \
	X(history_accounts, 1)		/* ... distinct accounts logged into */ \
	X(history_unproven, 1)		/* ... failed log-ins to unproven accounts */ \
	X(history_account_failures, 1)	/* ... highest account_failures_max */ \
	X(history_password_spread, 1)	/* ... highest password_spread_max */ \
	X(history_overreach, 1)		/* ... their calls with overreach over 1/2 */ \
	X(history_origins, 1)		/* ... distinct clients */ \
	X(history_age, 1)		/* since the actor's first trace */ \
	X(history_payload_max, MW_PAYLOAD_SLOTS)	/* highest payload probabilities */ \
	X(history_trace_max, MW_SEQ_SLOTS)	/* highest trace-model probabilities */

enum mw_call_feature {
#define X(n, w) MW_CF_##n, MW_CF_##n##_end = MW_CF_##n + (w) - 1,
	MW_CALL_FEATURES(X)
#undef X
	MW_CALL_NFEAT
};

enum mw_trace_feature {
#define X(n, w) MW_TF_##n, MW_TF_##n##_end = MW_TF_##n + (w) - 1,
	MW_TRACE_FEATURES(X)
#undef X
	MW_TRACE_NFEAT
};

/* What the trace knew before this call, what the object table said of it
 * (mw_objects_check) and what the endpoint baselines said of it
 * (mw_endpoint_observe). */
struct mw_call_ctx {
	uint32_t position;		/* calls of the trace before this one */
	uint64_t prev_ts_ns;		/* the previous call's request time; 0: none */
	const float *payload;		/* payload-model probabilities, or NULL */
	uint32_t n_payload;
	int foreign;			/* mw_objects_check */
	float rarity, resp_excess, trespass;
	float login, account_failures, unproven, password_spread;	/* mw_logins_check */
	float overreach, impersonation;	/* mw_endpoint_observe */
	float page_excess, unusual_params;
	uint64_t pages;			/* records it asks for (mw_endpoint_observe) */
};

/*
 * Who named an object first. Broken object-level authorization is
 * invisible in one call: the request is well formed and the answer is often
 * 200. What gives it away is ownership: the object was first named by
 * another principal, on an endpoint whose objects are rarely shared (an
 * account's documents, not a film's page; the endpoint baselines learn
 * which, counting principals, not calls: mw_endpoint_observe). An object
 * is the literal path segment before an {id} and the id's hash; its owner
 * is the principal (JWT subject, API key, session) whose
 * request created it (the Location header of its 2xx answer, as REST APIs
 * send: POST /contracts, 201, Location: /contracts/42), else the first
 * that named it; a principal whose own subject the id is (/users/42 with
 * sub 42, ev->self_ids) owns it whoever named it before: a public profile's
 * first visitor does not own its user. Actors known only by address
 * (services calling each other, anonymous clients) neither claim objects
 * nor trespass, but the trace they work in holds what they name for its
 * caller (mw_trace_objects).
 *
 * One table per appliance, shared by its inference lcores: a principal's
 * traces are spread over all of them, and ownership is only seen whole.
 * A lossy cache of 64-bit words (a tag and the owner) in 8-way sets of a
 * cache line (mw_shared_way), each read and written whole with relaxed
 * atomics: a race between two lcores costs one object's owner, never a
 * torn word. No deletes: an object is forgotten only when eight others
 * share its set. (Direct-mapped, until 2026-12-04, one object in twelve of
 * a day's capture shared its slot with another, and lost its owner.)
 */
#define MW_SHARED_WAYS 8
#define MW_OBJECT_SLOTS (1u << 18)	/* 2 MiB */
struct mw_objects {
	uint64_t slot[MW_OBJECT_SLOTS];
};

/*
 * The objects a trace's nested calls named on its caller's behalf. Inside a
 * microservice application the caller's identity ends at the edge: the
 * gateway's call carries the user's token, and the calls it makes
 * (shipping reading the contract a new shipment is for) carry a service's.
 * Those objects are still the caller's. A trace holds what its calls
 * without a principal named, and its first call with one claims them:
 * calls complete inside out, so that is usually its root, and it comes
 * last.
 */
#define MW_TRACE_OBJECTS 4
struct mw_trace_objects {
	uint64_t key[MW_TRACE_OBJECTS];	/* mw_object_key; 0: none */
};

/* What ev's objects were to its principal: MW_OBJECT_FOREIGN when one is
 * another principal's, else MW_OBJECT_NEW when one was nobody's (it claims
 * those, unless answered 4xx), else MW_OBJECT_OWN; MW_OBJECT_NONE when ev names no object or its
 * actor is no principal. held (may be NULL) is ev's trace's: a call
 * without a principal adds its objects to it, and one with a principal
 * first claims what it holds that nobody owns, then empties it. */
enum { MW_OBJECT_NONE = -1, MW_OBJECT_OWN, MW_OBJECT_NEW, MW_OBJECT_FOREIGN };
int mw_objects_check(struct mw_objects *o, const struct mw_event *ev,
		struct mw_trace_objects *held);

/*
 * Log-ins per account and per password. Credential stuffing, brute force
 * and password spraying are spread over many addresses (proxies, botnets)
 * and meant to look, per address, like a user who mistyped a password
 * once. What they cannot hide is where their attempts land: many failures
 * on one account (brute force), one password failing on many accounts
 * (spraying), and accounts nobody ever logs into (a breach list's names).
 * So the appliance keeps, per account (the login's user name, keyed), its
 * recent failed log-ins and whether one ever succeeded, and per password
 * (keyed, 32 bits) how many accounts it recently failed on.
 *
 * Shared by the inference lcores like mw_objects, and for the same reason:
 * a campaign's attempts are spread over all of them. Lossy 8-way sets of
 * words read and written whole with relaxed atomics; counts halve every
 * MW_LOGIN_HALF_MIN minutes of event time, so months of ordinary typos do
 * not add up to an attack.
 */
#define MW_LOGIN_SLOTS (1u << 16)	/* 512 KiB per table */
#define MW_LOGIN_HALF_MIN 10
struct mw_logins {
	uint64_t account[MW_LOGIN_SLOTS];	/* tag 32 | proven 1 | minute 16 | failures 15 */
	uint64_t password[MW_LOGIN_SLOTS];	/* tag 32 | minute 16 | accounts 8 | last 8 */
};

/* What the tables knew of ev's account and password before it, into
 * ctx->login, account_failures, unproven and password_spread; then they
 * take ev in. Nothing for a call that is no log-in. */
void mw_logins_check(struct mw_logins *l, const struct mw_event *ev, struct mw_call_ctx *ctx);

/*
 * Per-endpoint baselines an inference lcore learns from the calls it sees:
 * how often each endpoint (method and path template: DELETE on a resource
 * clients only read is an endpoint of its own) is called, how large its
 * responses are, how many records its callers ask for, how many of its JWT
 * callers hold an administrative role, and how many of them name themselves
 * in the path (/users/42 with sub 42). An endpoint no ordinary client uses
 * (a legacy version, an admin path, a method swap), a response far larger
 * than the endpoint's usual (a bulk export), a page far larger than its
 * callers ask for (limit=500 where clients ask for 1 to 3: an export
 * pulled however slowly) and a caller without a role on an endpoint the
 * privileged use, a caller naming another where callers name themselves,
 * and a parameter the endpoint's callers never send (is_admin in a profile
 * update: mass assignment, without a list of names), are what
 * exfiltration, BFLA, BOLA and reconnaissance look like from the
 * network, in any application, without a list of its endpoints.
 * Bounded: 4-way sets indexed by the endpoint's hash, with the hash as
 * tag. An endpoint not in its set takes the way with the fewest calls, and
 * a parameter name the way with the smallest count: the one-off templates
 * and names of junk paths and fuzzed bodies (an attack's, a scanner's)
 * evict each other, not the baselines of what clients use. (Direct-mapped,
 * one traversal path had reset an endpoint of 3 787 calls, and two real
 * endpoints sharing a slot reset each other all day.)
 */
#define MW_BASELINE_WAYS 4
#define MW_ENDPOINT_SLOTS 4096
struct mw_endpoint_slot {
	uint32_t key;			/* method and template id */
	uint32_t calls;
	float resp_log;			/* mean log2(1 + response bytes) */
	float page_log;			/* mean log2(1 + records asked), of calls that ask */
	uint32_t page_calls;
	float shared;			/* share of its principals naming others' objects */
	uint16_t rounds;		/* of principals counted (count_principal) */
	uint16_t bits[2];		/* set in its two bitmaps (mw_endpoints.counted) */
	float privileged;		/* share of JWT calls with MW_EV_JWT_PRIVILEGED */
	uint32_t jwt_calls;
	float self;			/* share of JWT calls with ids that name the caller */
	uint32_t self_calls;
};
#define MW_NAME_SLOTS 16384
#define MW_COUNTED_WORDS 8	/* 512 bits */
struct mw_endpoints {
	uint64_t calls;
	struct mw_endpoint_slot slot[MW_ENDPOINT_SLOTS];
	/* per slot, the principals that counted in its sharing this round,
	 * and of those the ones naming others' objects: linear-counting
	 * bitmaps, apart from the slots that a set's search reads */
	uint64_t counted[MW_ENDPOINT_SLOTS][2][MW_COUNTED_WORDS];
	/* per endpoint and parameter name (query, form or JSON key): how many
	 * calls sent it; tag 32 | count 32 */
	uint64_t names[MW_NAME_SLOTS];
};

/* What the baselines knew of ev's endpoint before it, into ctx->rarity,
 * resp_excess, trespass (ctx->foreign set by mw_objects_check first),
 * overreach, impersonation, page_excess and unusual_params; then they take
 * ev in. Calls must come in arrival order. */
void mw_endpoint_observe(struct mw_endpoints *b, const struct mw_event *ev,
		struct mw_call_ctx *ctx);

/*
 * A finished trace, as its owner sends it to the actor's owner. Counts and
 * sets, not features: novelty needs the actor's history, which only the
 * actor's owner has.
 */
struct seq_summary {
	uint64_t actor;
	uint8_t actor_kind, jwt_state, jwt_alg, timed_out;
	uint16_t calls, status_mix[6];
	uint16_t auth_failures, not_found, throttled, writes;
	uint8_t n_ids, n_templates;
	uint16_t foreign;		/* calls with foreign_object */
	uint16_t logins, unproven_failures, overreach_calls;
	uint16_t page_size_max, page_excess_max;	/* in 65535ths: a trace key stays in 1 KiB */
	float account_failures_max, password_spread_max, overreach_max, impersonation_max;
	float unusual_params_max, resp_excess_sum;
	uint64_t account;		/* its first log-in's; 0: none */
	uint64_t origin;		/* its root's client (mw_origin) */
	uint32_t jwt_lifetime_s;	/* the longest of its calls' */
	uint32_t pf_categories;
	uint64_t ts_first_ns, ts_last_ns;
	uint64_t req_bytes, resp_bytes;
	float rarest, resp_excess_max, trespass_max, trespass_sum;
	float payload_max[MW_PAYLOAD_SLOTS];
	uint16_t trace_probs[MW_SEQ_SLOTS];	/* in 65535ths: a trace key stays in 1 KiB */
	uint64_t ids[MW_SUMMARY_IDS];
	uint32_t templates[MW_SUMMARY_TEMPLATES];
};

/* Sets of ids and endpoints an actor has used, as a Bloom filter. */
#define MW_BLOOM_WORDS 30		/* 1920 bits: with the rest, an actor key fits in 1 KiB */

/* What an actor's owner keeps of its earlier traces (zeroed: none yet). */
struct mw_actor_history {
	uint64_t seen[MW_BLOOM_WORDS];	/* ids and endpoints it used */
	uint64_t first_ts_ns, prev_ts_ns;
	uint32_t traces, calls, auth_failures, not_found, writes, ids, endpoints;
	float trespass;
	float resp_excess;		/* its calls' resp_excess over 0, summed */
	uint16_t logins, accounts, unproven, overreach, origins;	/* saturating */
	uint8_t account_failures_max, password_spread_max;	/* in 255ths: a key stays in 1 KiB */
	float payload_max[MW_PAYLOAD_SLOTS];
	float trace_max[MW_SEQ_SLOTS];
};

/* What the actor knew before this trace. */
struct mw_trace_ctx {
	const struct mw_actor_history *h;	/* before this trace; NULL: none */
	uint32_t new_ids, new_templates;	/* this trace's, new to the actor */
	bool new_origin;			/* its client, new to an actor with a past */
};

/* The schema's identity: a hash over the version and every group's name and
 * width, one per level. */
uint64_t mw_call_schema(void);
uint64_t mw_trace_schema(void);

/*
 * Whether ev is its trace's root, whose completion ends the trace: a call
 * without trace context; a B3 or Jaeger call without a parent span; and,
 * for W3C traceparent and x-request-id, which carry no parent on the wire,
 * the call that came in through the edge (an ingress proxy's
 * X-Forwarded-For). Calls complete inside out, so the root is the last of
 * its trace; a trace whose root never shows ends by idle timeout. Its
 * actor is the trace's actor: nested calls carry a service's identity.
 */
bool mw_trace_root(const struct mw_event *ev);

/* Who ev's client is: the first X-Forwarded-For address where a proxy
 * added one (the peer is then the proxy), else the peer's address. A
 * principal seen from many clients at once is a token shared or stolen. */
uint64_t mw_origin(const struct mw_event *ev);

/* Fills x[MW_CALL_NFEAT] / x[MW_TRACE_NFEAT]; ctx has been through
 * mw_endpoint_observe. */
void mw_call_features(const struct mw_event *ev, const struct mw_call_ctx *ctx, float *x);
void mw_trace_features(const struct seq_summary *s, const struct mw_trace_ctx *ctx, float *x);

/*
 * The bytes of a call the payload model reads: one window per normalized
 * record (name=value) that holds a pre-filter match, in the order of their
 * first matches, at most max of them. A window is its record from the
 * start, or from L/4 bytes before that first match where the record is
 * longer than L; at most L bytes. match[i]: the index in ev->pf of the
 * match window i was cut around. Returns the number of windows (0: the
 * call has no match, nothing to score). The model scores every window and
 * the call takes its most malicious one: an attack sits in one field, and
 * the first field flagged (an avatar URL, a quoted search) is often not it.
 */
#define MW_PAYLOAD_WINDOWS 4
unsigned int mw_payload_windows(const struct mw_event *ev, uint32_t L, const uint8_t **text,
		uint32_t *len, uint8_t *match, unsigned int max);

/* The record [rs, re) of normalized text t (MW_FIELD_norm, n bytes,
 * records name=value split by 0x1e) that holds byte at. */
void mw_norm_record(const char *t, uint32_t n, uint32_t at, uint32_t *rs, uint32_t *re);

/* The record window i was cut from: its name (before '='), for labels that
 * say which field an attack is in. */
void mw_payload_record_name(const struct mw_event *ev, unsigned int match, const char **name,
		uint32_t *len);

/* A model's non-benign probabilities p[1 .. n) into slots[0 .. nslots). */
void mw_class_slots(const float *p, uint32_t n, float *slots, uint32_t nslots);

/* Adds a stepped call to its trace's running summary: x its call features
 * (MW_CALL_NFEAT), pay its payload slots (MW_PAYLOAD_SLOTS), p the trace
 * model's probabilities after it. */
void mw_summary_add(struct seq_summary *s, const struct mw_event *ev, const float *x,
		const float *pay, const float *p, uint32_t nc);

/* Trace s's features in x[MW_TRACE_NFEAT], against what actor history h
 * knew before it; then h takes s in. */
void mw_actor_step(struct mw_actor_history *h, const struct seq_summary *s, float *x);

/* Names of each feature ("status_class[3]"), for explanations and tools. */
const char *mw_call_feature_group(unsigned int i, unsigned int *index);
const char *mw_trace_feature_group(unsigned int i, unsigned int *index);

#endif
