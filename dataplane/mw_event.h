/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * struct mw_event: one completed API call (a request and its response, or a
 * request whose response never came). Built by an rx lcore, handed to one
 * inference lcore over an SP/SC ring, then to the main lcore, which writes it
 * to the event log and returns it to its pool. Only the lcore that holds the
 * pointer touches the record.
 *
 * Fixed size (MW_EVENT_SIZE), a cache-line multiple. Variable-length fields
 * (path, query, template, selected headers, body prefix) live in data[] and
 * are addressed by mw_event.field[]. Bump MW_EVENT_VERSION whenever the
 * layout or the meaning of a field changes: the event log carries it.
 */
#ifndef MW_EVENT_H
#define MW_EVENT_H

#include <stdint.h>

#define MW_EVENT_VERSION 6
#define MW_EVENT_SIZE 4096
#define MW_EVENT_MAX_IDS 4	/* object ids taken from the path */
#define MW_EVENT_MAX_MATCHES 8	/* prefilter matches kept per event */

#define MW_METHODS(X) \
	X(OTHER) X(GET) X(HEAD) X(POST) X(PUT) X(DELETE) X(PATCH) X(OPTIONS) \
	X(TRACE) X(CONNECT)
enum mw_method {
#define X(m) MW_METHOD_##m,
	MW_METHODS(X)
#undef X
	MW_METHOD_MAX
};

/* Where the trace ids came from. */
#define MW_TRACE_KINDS(X) X(none) X(w3c) X(b3) X(uber) X(xrid)
enum mw_trace_kind {
#define X(k) MW_TRACE_##k,
	MW_TRACE_KINDS(X)
#undef X
	MW_TRACE_MAX
};

/* Who the actor is, in order of preference. */
#define MW_ACTOR_KINDS(X) X(none) X(jwt) X(apikey) X(session) X(addr)
enum mw_actor_kind {
#define X(k) MW_ACTOR_##k,
	MW_ACTOR_KINDS(X)
#undef X
	MW_ACTOR_MAX
};

#define MW_JWT_ALGS(X) X(none) X(HS256) X(HS384) X(HS512) X(RS256) X(RS384) \
	X(RS512) X(ES256) X(ES384) X(ES512) X(PS256) X(EdDSA) X(alg_none) X(other)
enum mw_jwt_alg {
#define X(a) MW_JWT_ALG_##a,
	MW_JWT_ALGS(X)
#undef X
	MW_JWT_ALG_MAX
};

/* Expiry as seen at the request time; the token is decoded, never verified. */
#define MW_JWT_STATES(X) X(absent) X(valid) X(expired) X(no_exp) X(malformed)
enum mw_jwt_state {
#define X(s) MW_JWT_##s,
	MW_JWT_STATES(X)
#undef X
	MW_JWT_STATE_MAX
};

#define MW_ENCAPS(X) X(none) X(vxlan) X(gre) X(erspan2) X(erspan3)
enum mw_encap {
#define X(e) MW_ENCAP_##e,
	MW_ENCAPS(X)
#undef X
	MW_ENCAP_MAX
};

/* Variable-length fields in mw_event.data. */
#define MW_FIELDS(X) X(path) X(query) X(template) X(host) X(user_agent) \
	X(content_type) X(req_body) X(xff) X(norm)
enum mw_field {
#define X(f) MW_FIELD_##f,
	MW_FIELDS(X)
#undef X
	MW_FIELD_MAX
};

/* mw_event.flags */
#define MW_EV_NO_RESPONSE	(1u << 0)	/* response timed out or connection ended */
#define MW_EV_REQ_CHUNKED	(1u << 1)
#define MW_EV_RESP_CHUNKED	(1u << 2)
#define MW_EV_BODY_TRUNCATED	(1u << 3)	/* body longer than the prefix kept */
#define MW_EV_GAP		(1u << 4)	/* a capture gap preceded this call */
#define MW_EV_MIDSTREAM		(1u << 5)	/* connection opened before we saw it */
#define MW_EV_FIELD_TRUNCATED	(1u << 6)	/* a field did not fit in data[] */
#define MW_EV_PIPELINED		(1u << 7)	/* sent before the previous response */
#define MW_EV_IPV6		(1u << 8)
#define MW_EV_HDR_LIMIT		(1u << 9)	/* header section over the limit */
#define MW_EV_PAYLOAD_SCORED	(1u << 10)	/* the payload model saw it */
#define MW_EV_PAYLOAD_ALERT	(1u << 11)	/* ... and a class beat its threshold */
#define MW_EV_TRACE_SCORED	(1u << 12)	/* the trace model stepped on it */
#define MW_EV_TRACE_ALERT	(1u << 13)	/* ... and its trace raised an alert */
#define MW_EV_JWT_PRIVILEGED	(1u << 14)	/* the JWT claims an administrative role */
#define MW_EV_SELF_OBJECT	(1u << 15)	/* a path id is the JWT's own subject */
#define MW_EV_NFLAGS		16

/* A log-in is a request with a password field and a user-name field
 * (user, username, login, email, account, ...); its account is the user
 * name's keyed hash. */
#define MW_LOGIN_PASSWORD	(1u << 0)
#define MW_LOGIN_USER		(1u << 1)
#define MW_LOGIN_DONE		(1u << 2)	/* account final */

#define MW_SERVICE_UNKNOWN 0xffff

struct mw_event_field {
	uint16_t off;
	uint16_t len;
};

/* A pre-filter match: the rule, the kind of field it was found in, and the
 * bytes it matched inside MW_FIELD_norm (the normalized text of every
 * flagged field, as NAME=VALUE records separated by 0x1e). */
struct mw_match {
	uint16_t rule;		/* the rule's number in the catalog (prefilter.h) */
	uint8_t field;		/* enum pf_class */
	uint8_t category;	/* enum pf_category: the rule's */
	uint16_t from, to;	/* byte range in MW_FIELD_norm */
};

struct mw_event {
	/* 0: when and where */
	uint64_t ts_req_ns;		/* first byte of the request */
	uint64_t ts_resp_ns;		/* last byte of the response (0: none) */
	uint8_t client_addr[16];	/* IPv4 in the first 4 bytes */
	uint8_t server_addr[16];
	uint16_t client_port, server_port;
	uint16_t vlan[2];		/* outer first; 0: none */
	uint32_t vni;			/* VXLAN VNI or GRE key */
	uint64_t rx_tsc;		/* TSC of the burst that completed it */
	uint16_t erspan_session;
	uint8_t encap;			/* enum mw_encap */
	uint8_t rx_lcore;
	uint16_t port;
	uint16_t src_service, dst_service;	/* config service ids */
	uint32_t flags;			/* MW_EV_* */

	/* HTTP */
	uint8_t method;			/* enum mw_method */
	uint8_t http_minor;
	uint16_t status;		/* 0: no response */
	uint32_t template_id;		/* hash of the path template */
	uint64_t path_hash;		/* hash of the raw path */
	uint32_t req_body_bytes, resp_body_bytes;
	uint32_t req_hdr_bytes, resp_hdr_bytes;

	/* trace */
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_span_id[8];
	uint8_t trace_kind;		/* enum mw_trace_kind */
	uint8_t has_span, has_parent;

	/* actor and authentication (keyed hashes, never the secret itself) */
	uint8_t actor_kind;		/* enum mw_actor_kind */
	uint64_t actor;
	uint8_t jwt_alg;		/* enum mw_jwt_alg */
	uint8_t jwt_state;		/* enum mw_jwt_state */
	uint8_t n_ids;
	uint8_t login;			/* MW_LOGIN_*: what the pre-filter saw of a log-in */
	uint32_t jwt_iss;		/* hash of the issuer */
	uint64_t account;		/* a log-in's user name (keyed hash); 0: not a log-in */
	uint32_t password_tag;		/* a log-in's password (keyed, 32 bits); 0: none */
	uint32_t jwt_lifetime_s;	/* its exp - iat (saturating); 0: not both */
	uint64_t object_ids[MW_EVENT_MAX_IDS];	/* hashes of {id} path segments */
	uint64_t created;		/* the object a 2xx response's Location names
					 * (mw_object_key); 0: none */

	/* prefilter results (issue 4) */
	uint32_t pf_categories;
	uint8_t pf_nmatch;
	uint8_t self_ids;		/* bit i: object_ids[i] is the JWT's own subject */
	uint8_t pad1[2];
	struct mw_match pf[MW_EVENT_MAX_MATCHES];	/* the payload model moves the match of
							 * the record it found most malicious first */

	/* inference results: the payload model's class and its probability,
	 * the trace model's most likely non-benign class and its probability
	 * after this call */
	uint16_t verdict_class;
	uint16_t seq_class;
	float score;
	float seq_score;

	uint16_t data_len;
	struct mw_event_field field[MW_FIELD_MAX];
	char data[];
};

/* An object's key: its id's hash (as in object_ids) and the hash of the
 * literal path segment before it, its resource (rte_hash_crc, seed
 * MW_OBJECT_RES_SEED): /contracts/42 and /films/42 are two objects. */
#define MW_OBJECT_RES_SEED 0x0b1ec7u
static inline uint64_t
mw_object_key(uint64_t id_hash, uint32_t res)
{
	uint64_t h = (id_hash ^ (uint64_t)res * 0x9e3779b97f4a7c15ull) * 0xff51afd7ed558ccdull;
	return h ^ h >> 29;
}

#define MW_EVENT_DATA_SIZE (MW_EVENT_SIZE - sizeof(struct mw_event))

static inline const char *
mw_event_field(const struct mw_event *ev, enum mw_field f, uint16_t *len)
{
	*len = ev->field[f].len;
	return ev->data + ev->field[f].off;
}

extern const char *const mw_method_names[MW_METHOD_MAX];
extern const char *const mw_trace_kind_names[MW_TRACE_MAX];
extern const char *const mw_actor_kind_names[MW_ACTOR_MAX];
extern const char *const mw_jwt_alg_names[MW_JWT_ALG_MAX];
extern const char *const mw_jwt_state_names[MW_JWT_STATE_MAX];
extern const char *const mw_encap_names[MW_ENCAP_MAX];
extern const char *const mw_field_names[MW_FIELD_MAX];
extern const char *const mw_flag_names[MW_EV_NFLAGS];	/* bit i: (1u << i) */

#endif
