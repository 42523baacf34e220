/* SPDX-License-Identifier: BSD-3-Clause */
/* The names of struct mw_event's enums and flags, as the event log writes
 * them (and the training tools read them back). */
#include "mw_event.h"

const char *const mw_method_names[MW_METHOD_MAX] = {
#define X(m) #m,
	MW_METHODS(X)
#undef X
};
const char *const mw_trace_kind_names[MW_TRACE_MAX] = {
#define X(k) #k,
	MW_TRACE_KINDS(X)
#undef X
};
const char *const mw_actor_kind_names[MW_ACTOR_MAX] = {
#define X(k) #k,
	MW_ACTOR_KINDS(X)
#undef X
};
const char *const mw_jwt_alg_names[MW_JWT_ALG_MAX] = {
#define X(a) #a,
	MW_JWT_ALGS(X)
#undef X
};
const char *const mw_jwt_state_names[MW_JWT_STATE_MAX] = {
#define X(s) #s,
	MW_JWT_STATES(X)
#undef X
};
const char *const mw_encap_names[MW_ENCAP_MAX] = {
#define X(e) #e,
	MW_ENCAPS(X)
#undef X
};
const char *const mw_field_names[MW_FIELD_MAX] = {
#define X(f) #f,
	MW_FIELDS(X)
#undef X
};

const char *const mw_flag_names[MW_EV_NFLAGS] = {
	"no_response", "req_chunked", "resp_chunked", "body_truncated", "gap", "midstream",
	"field_truncated", "pipelined", "ipv6", "header_limit", "payload_scored", "payload_alert",
	"trace_scored", "trace_alert", "jwt_privileged", "self_object",
};
