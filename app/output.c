/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Main lcore outputs (control path): the event log and the stats.
 *
 * Event log: one JSON object per line (json-c does the escaping, so hostile
 * bytes in a path or body cannot break a line). A text field that is not
 * valid UTF-8 is written base64-encoded under NAME_b64 instead. With
 * output.redact (the default), values of credential-like parameters in the
 * query and the request body (password, token, secret, api_key, ...) are
 * replaced by "[redacted]" before anything is written; tokens, API keys and
 * session cookies never reach the event at all (only keyed hashes do).
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "output.h"

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

static const char *const flag_names[] = {
	"no_response", "req_chunked", "resp_chunked", "body_truncated", "gap", "midstream",
	"field_truncated", "pipelined", "ipv6", "header_limit", "payload_scored", "payload_alert",
};

/* Parameter names whose values are credentials (substring, case-insensitive). */
static const char *const secret_names[] = {
	"password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "api-key",
	"authorization", "credential", "session", "cookie", "cvv", "card_number", "pin",
	"ssn", "private_key", NULL
};

static int
is_secret_name(const char *s, size_t n)
{
	char name[64];

	if (n == 0 || n >= sizeof(name))
		return 0;
	memcpy(name, s, n);
	name[n] = '\0';
	for (const char *const *p = secret_names; *p; p++)
		if (strcasestr(name, *p) != NULL)
			return 1;
	return 0;
}

#define REDACTED "[redacted]"

/* name=value&name=value: credential values replaced. */
static size_t
redact_form(const char *in, size_t n, char *out, size_t cap)
{
	size_t o = 0, i = 0;

	while (i < n && o < cap) {
		size_t s = i;
		while (i < n && in[i] != '&')
			i++;
		const char *eq = memchr(in + s, '=', i - s);
		size_t keep = i - s;
		int secret = eq && is_secret_name(in + s, (size_t)(eq - in - s));
		if (secret)
			keep = (size_t)(eq - in - s) + 1;
		if (o + keep > cap)
			keep = cap - o;
		memcpy(out + o, in + s, keep);
		o += keep;
		if (secret && o + sizeof(REDACTED) - 1 <= cap) {
			memcpy(out + o, REDACTED, sizeof(REDACTED) - 1);
			o += sizeof(REDACTED) - 1;
		}
		if (i < n && o < cap)
			out[o++] = '&';
		i++;
	}
	return o;
}

/* "name": "value" anywhere in a JSON text, even a truncated one. */
static size_t
redact_json(const char *in, size_t n, char *out, size_t cap)
{
	size_t o = 0, i = 0;

	while (i < n && o < cap) {
		out[o++] = in[i];
		if (in[i] != '"') {
			i++;
			continue;
		}
		/* a string: is it a key of a credential? */
		size_t s = ++i;
		while (i < n && in[i] != '"')
			i += in[i] == '\\' ? 2 : 1;
		if (i > n)
			i = n;
		size_t len = i - s;
		if (o + len + 1 > cap)
			break;
		memcpy(out + o, in + s, len);
		o += len;
		if (i < n)
			out[o++] = in[i++];
		size_t j = i;
		while (j < n && (in[j] == ' ' || in[j] == '\t' || in[j] == '\n' || in[j] == '\r'))
			j++;
		if (j < n && in[j] == ':' && is_secret_name(in + s, len)) {
			size_t k = j + 1;
			while (k < n && (in[k] == ' ' || in[k] == '\t'))
				k++;
			if (k < n && in[k] == '"') {
				size_t e = k + 1;
				while (e < n && in[e] != '"')
					e += in[e] == '\\' ? 2 : 1;
				const char *r = ": \"" REDACTED "\"";
				size_t rl = strlen(r);
				if (o + rl > cap)
					break;
				memcpy(out + o, r, rl);
				o += rl;
				i = e + 1 > n ? n : e + 1;
			}
		}
	}
	return o;
}

static int
valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			k = 1, cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			k = 2, cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			k = 3, cp = c & 0x07;
		} else {
			return 0;
		}
		if (i + k >= n)
			return 0;
		for (size_t j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
				cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;	/* overlong or not a scalar value */
		i += k + 1;
	}
	return 1;
}

static void
add_text(json_object *o, const char *key, const char *s, size_t n)
{
	if (valid_utf8((const unsigned char *)s, n)) {
		json_object_object_add(o, key, json_object_new_string_len(s, (int)n));
		return;
	}
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char *out = malloc(4 * ((n + 2) / 3) + 1), name[64];
	size_t k = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)(unsigned char)s[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)(unsigned char)s[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)s[i + 2];
		out[k++] = b64[v >> 18 & 63];
		out[k++] = b64[v >> 12 & 63];
		out[k++] = i + 1 < n ? b64[v >> 6 & 63] : '=';
		out[k++] = i + 2 < n ? b64[v & 63] : '=';
	}
	snprintf(name, sizeof(name), "%s_b64", key);
	json_object_object_add(o, name, json_object_new_string_len(out, (int)k));
	free(out);
}

static void
hex(char *out, const uint8_t *b, size_t n)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[b[i] >> 4];
		out[2 * i + 1] = d[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static void
add_hex64(json_object *o, const char *key, uint64_t v)
{
	char buf[17];
	snprintf(buf, sizeof(buf), "%016" PRIx64, v);
	json_object_object_add(o, key, json_object_new_string(buf));
}

static void
addr_str(char *out, size_t n, const uint8_t *a, int v6)
{
	inet_ntop(v6 ? AF_INET6 : AF_INET, a, out, (socklen_t)n);
}

static void
add_service(json_object *o, const char *key, const struct out_ctx *oc, uint16_t id,
		const struct mw_event *ev, int from_host)
{
	uint16_t n;

	if (id != MW_SERVICE_UNKNOWN && id < oc->n_services) {
		json_object_object_add(o, key, json_object_new_string(oc->service_names[id]));
		return;
	}
	if (from_host) {
		const char *h = mw_event_field(ev, MW_FIELD_host, &n);
		size_t k = 0;
		while (k < n && h[k] != ':' && h[k] != '.')
			k++;	/* "idp.dvdrental.svc:8443" -> "idp" */
		if (k > 0) {
			add_text(o, key, h, k);
			return;
		}
	}
	json_object_object_add(o, key, NULL);
}

static json_object *
event_json(const struct out_ctx *oc, const struct mw_event *ev)
{
	json_object *o = json_object_new_object(), *flow = json_object_new_object();
	char buf[4096], a[64];
	int v6 = !!(ev->flags & MW_EV_IPV6);
	uint16_t n;
	const char *s;

	json_object_object_add(o, "v", json_object_new_int(MW_EVENT_VERSION));
	json_object_object_add(o, "ts", json_object_new_int64((int64_t)ev->ts_req_ns));
	json_object_object_add(o, "ts_end", json_object_new_int64((int64_t)ev->ts_resp_ns));
	json_object_object_add(o, "latency_us", json_object_new_int64(ev->ts_resp_ns > ev->ts_req_ns ?
				(int64_t)(ev->ts_resp_ns - ev->ts_req_ns) / 1000 : 0));
	addr_str(a, sizeof(a), ev->client_addr, v6);
	json_object_object_add(flow, "src", json_object_new_string(a));
	json_object_object_add(flow, "sport", json_object_new_int(ev->client_port));
	addr_str(a, sizeof(a), ev->server_addr, v6);
	json_object_object_add(flow, "dst", json_object_new_string(a));
	json_object_object_add(flow, "dport", json_object_new_int(ev->server_port));
	if (ev->vlan[0] || ev->vlan[1]) {
		json_object *vl = json_object_new_array();
		if (ev->vlan[0])
			json_object_array_add(vl, json_object_new_int(ev->vlan[0]));
		json_object_array_add(vl, json_object_new_int(ev->vlan[1]));
		json_object_object_add(flow, "vlan", vl);
	}
	json_object_object_add(flow, "encap", json_object_new_string(mw_encap_names[ev->encap]));
	if (ev->encap == MW_ENCAP_vxlan || (ev->encap == MW_ENCAP_gre && ev->vni))
		json_object_object_add(flow, "vni", json_object_new_int64(ev->vni));
	if (ev->encap == MW_ENCAP_erspan2 || ev->encap == MW_ENCAP_erspan3)
		json_object_object_add(flow, "erspan_session", json_object_new_int(ev->erspan_session));
	json_object_object_add(flow, "rx_lcore", json_object_new_int(ev->rx_lcore));
	json_object_object_add(o, "flow", flow);
	add_service(o, "src_service", oc, ev->src_service, ev, 0);
	add_service(o, "dst_service", oc, ev->dst_service, ev, 1);

	json_object_object_add(o, "method", json_object_new_string(mw_method_names[ev->method]));
	s = mw_event_field(ev, MW_FIELD_path, &n);
	add_text(o, "path", s, n);
	s = mw_event_field(ev, MW_FIELD_query, &n);
	if (n) {
		size_t k = oc->redact ? redact_form(s, n, buf, sizeof(buf)) : n;
		add_text(o, "query", oc->redact ? buf : s, k);
	}
	s = mw_event_field(ev, MW_FIELD_template, &n);
	add_text(o, "template", s, n);
	json_object_object_add(o, "template_id", json_object_new_int64(ev->template_id));
	add_hex64(o, "path_hash", ev->path_hash);
	static const enum mw_field hdrs[] = { MW_FIELD_host, MW_FIELD_user_agent,
		MW_FIELD_content_type, MW_FIELD_xff };
	for (unsigned int i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		s = mw_event_field(ev, hdrs[i], &n);
		if (n)
			add_text(o, mw_field_names[hdrs[i]], s, n);
	}
	json_object_object_add(o, "status", json_object_new_int(ev->status));
	json_object_object_add(o, "req_bytes", json_object_new_int64(ev->req_body_bytes));
	json_object_object_add(o, "resp_bytes", json_object_new_int64(ev->resp_body_bytes));
	json_object_object_add(o, "req_hdr_bytes", json_object_new_int64(ev->req_hdr_bytes));
	json_object_object_add(o, "resp_hdr_bytes", json_object_new_int64(ev->resp_hdr_bytes));

	json_object_object_add(o, "trace_kind",
			json_object_new_string(mw_trace_kind_names[ev->trace_kind]));
	if (ev->trace_kind != MW_TRACE_none) {
		hex(buf, ev->trace_id, 16);
		json_object_object_add(o, "trace_id", json_object_new_string(buf));
	}
	if (ev->has_span) {
		hex(buf, ev->span_id, 8);
		json_object_object_add(o, "span_id", json_object_new_string(buf));
	}
	if (ev->has_parent) {
		hex(buf, ev->parent_span_id, 8);
		json_object_object_add(o, "parent_span_id", json_object_new_string(buf));
	}
	json_object_object_add(o, "actor_kind",
			json_object_new_string(mw_actor_kind_names[ev->actor_kind]));
	add_hex64(o, "actor", ev->actor);
	if (ev->jwt_state != MW_JWT_absent) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "alg", json_object_new_string(mw_jwt_alg_names[ev->jwt_alg]));
		json_object_object_add(j, "state",
				json_object_new_string(mw_jwt_state_names[ev->jwt_state]));
		snprintf(a, sizeof(a), "%08x", ev->jwt_iss);
		json_object_object_add(j, "iss", json_object_new_string(a));
		json_object_object_add(o, "jwt", j);
	}
	if (ev->n_ids) {
		json_object *ids = json_object_new_array();
		for (int i = 0; i < ev->n_ids && i < MW_EVENT_MAX_IDS; i++) {
			snprintf(a, sizeof(a), "%016" PRIx64, ev->object_ids[i]);
			json_object_array_add(ids, json_object_new_string(a));
		}
		json_object_object_add(o, "object_ids", ids);
	}
	if (ev->flags) {
		json_object *fl = json_object_new_array();
		for (unsigned int i = 0; i < sizeof(flag_names) / sizeof(flag_names[0]); i++)
			if (ev->flags & (1u << i))
				json_object_array_add(fl, json_object_new_string(flag_names[i]));
		json_object_object_add(o, "flags", fl);
	}
	s = mw_event_field(ev, MW_FIELD_req_body, &n);
	if (n) {
		uint16_t cn;
		const char *ct = mw_event_field(ev, MW_FIELD_content_type, &cn);
		int json = cn >= 16 && memmem(ct, cn, "json", 4) != NULL;
		size_t k = n;
		if (oc->redact)
			k = json || (n && s[0] == '{') ? redact_json(s, n, buf, sizeof(buf)) :
				redact_form(s, n, buf, sizeof(buf));
		add_text(o, "req_body", oc->redact ? buf : s, k);
	}
	return o;
}

/*
 * "prefilter": categories, matches and the normalized text they point at,
 * as records {name, value}; a match names its record and the bytes in its
 * value. Credential-like names get their value redacted like the rest.
 */
static void
add_prefilter(json_object *o, const struct out_ctx *oc, const struct mw_event *ev)
{
	json_object *pf = json_object_new_object(), *cats = json_object_new_array();
	json_object *ms = json_object_new_array(), *recs = json_object_new_array();
	uint16_t n;
	const char *t = mw_event_field(ev, MW_FIELD_norm, &n);
	uint32_t rs[MW_EVENT_MAX_MATCHES * 4 + 1], re[MW_EVENT_MAX_MATCHES * 4 + 1];
	int nr = 0;

	for (int k = 0; k < PF_CAT_MAX; k++)
		if (ev->pf_categories & (1u << k))
			json_object_array_add(cats, json_object_new_string(pf_category_names[k]));
	json_object_object_add(pf, "categories", cats);
	for (uint32_t i = 0; i <= n && nr < (int)(sizeof(rs) / sizeof(rs[0])); ) {
		uint32_t e = i;
		while (e < n && t[e] != '\x1e')
			e++;
		const char *eq = memchr(t + i, '=', e - i);
		uint32_t vs = eq ? (uint32_t)(eq - t) + 1 : i;
		json_object *r = json_object_new_object();
		add_text(r, "name", t + i, vs > i ? vs - i - 1 : 0);
		if (oc->redact && vs > i + 1 && is_secret_name(t + i, vs - i - 1))
			json_object_object_add(r, "value", json_object_new_string(REDACTED));
		else
			add_text(r, "value", t + vs, e - vs);
		json_object_array_add(recs, r);
		rs[nr] = vs;
		re[nr++] = e;
		i = e + 1;
	}
	for (int k = 0; k < ev->pf_nmatch && k < MW_EVENT_MAX_MATCHES; k++) {
		const struct mw_match *m = &ev->pf[k];
		json_object *j = json_object_new_object();
		if (oc->pf != NULL && m->rule < oc->pf->n_rules) {
			const struct pf_rule *r = &oc->pf->rules[m->rule];
			json_object_object_add(j, "rule", json_object_new_int64(r->id));
			json_object_object_add(j, "name", json_object_new_string(r->name));
			json_object_object_add(j, "category",
					json_object_new_string(pf_category_names[r->category]));
			json_object_object_add(j, "severity", json_object_new_int(r->severity));
		}
		json_object_object_add(j, "field", json_object_new_string(
				m->field < PF_CLASS_MAX ? pf_class_names[m->field] : "?"));
		for (int r = 0; r < nr; r++)
			if (m->from >= rs[r] && m->from <= re[r]) {
				json_object_object_add(j, "record", json_object_new_int(r));
				json_object_object_add(j, "from", json_object_new_int((int)(m->from - rs[r])));
				json_object_object_add(j, "to", json_object_new_int((int)(m->to - rs[r])));
				break;
			}
		json_object_array_add(ms, j);
	}
	json_object_object_add(pf, "matches", ms);
	json_object_object_add(pf, "text", recs);
	json_object_object_add(o, "prefilter", pf);
}

int
out_event(struct out_ctx *oc, const struct mw_event *ev)
{
	json_object *o;

	if (oc->events == NULL)
		return 0;
	o = event_json(oc, ev);
	if (ev->pf_categories)
		add_prefilter(o, oc, ev);
	if ((ev->flags & MW_EV_PAYLOAD_SCORED) && oc->payload != NULL &&
			ev->verdict_class < oc->payload->n_classes) {
		json_object *pm = json_object_new_object();
		json_object_object_add(pm, "class",
				json_object_new_string(oc->payload->class_names[ev->verdict_class]));
		json_object_object_add(pm, "score", json_object_new_double((double)ev->score));
		json_object_object_add(pm, "alert",
				json_object_new_boolean(!!(ev->flags & MW_EV_PAYLOAD_ALERT)));
		json_object_object_add(o, "payload_model", pm);
	}
	const char *line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
			JSON_C_TO_STRING_NOSLASHESCAPE);
	int rc = fputs(line, oc->events) < 0 || fputc('\n', oc->events) == EOF ? -1 : 0;
	json_object_put(o);
	oc->written++;
	return rc;
}
