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
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <strings.h>
#include <time.h>
#include <arpa/inet.h>
#include <rte_cycles.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "dp_text.h"
#include "output.h"


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
		int secret = eq && dp_secret_name(in + s, (size_t)(eq - in - s));
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
		if (j < n && in[j] == ':' && dp_secret_name(in + s, len)) {
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

size_t
out_host_label(const char *h, size_t n)
{
	size_t k = 0;

	while (k < n && h[k] != ':' && h[k] != '.')
		k++;	/* "idp.dvdrental.svc:8443" -> "idp" */
	return k;
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
		size_t k = out_host_label(h, n);
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
	if (ev->account != 0) {	/* a log-in: keyed hashes of its user name and password */
		char tag[9];
		add_hex64(o, "account", ev->account);
		snprintf(tag, sizeof(tag), "%08" PRIx32, ev->password_tag);
		json_object_object_add(o, "password_tag", json_object_new_string(tag));
	}
	if (ev->jwt_state != MW_JWT_absent) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "alg", json_object_new_string(mw_jwt_alg_names[ev->jwt_alg]));
		json_object_object_add(j, "state",
				json_object_new_string(mw_jwt_state_names[ev->jwt_state]));
		snprintf(a, sizeof(a), "%08x", ev->jwt_iss);
		json_object_object_add(j, "iss", json_object_new_string(a));
		if (ev->jwt_lifetime_s)
			json_object_object_add(j, "lifetime_s",
					json_object_new_int64(ev->jwt_lifetime_s));
		json_object_object_add(o, "jwt", j);
	}
	if (ev->n_ids) {
		json_object *ids = json_object_new_array();
		for (int i = 0; i < ev->n_ids && i < MW_EVENT_MAX_IDS; i++) {
			snprintf(a, sizeof(a), "%016" PRIx64, ev->object_ids[i]);
			json_object_array_add(ids, json_object_new_string(a));
		}
		json_object_object_add(o, "object_ids", ids);
		if (ev->self_ids)	/* which of them name the caller */
			json_object_object_add(o, "self_ids", json_object_new_int(ev->self_ids));
	}
	if (ev->created)	/* the object its Location named */
		add_hex64(o, "created", ev->created);
	if (ev->flags) {
		json_object *fl = json_object_new_array();
		for (unsigned int i = 0; i < MW_EV_NFLAGS; i++)
			if (ev->flags & (1u << i))
				json_object_array_add(fl, json_object_new_string(mw_flag_names[i]));
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
		if (oc->redact && vs > i + 1 && dp_secret_name(t + i, vs - i - 1))
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
		const struct pf_known *rule = pf_catalog_get(oc->rules, m->rule);
		if (rule != NULL) {
			json_object_object_add(j, "rule", json_object_new_int64(rule->id));
			json_object_object_add(j, "name", json_object_new_string(rule->name));
			json_object_object_add(j, "category",
					json_object_new_string(pf_category_names[rule->category]));
			json_object_object_add(j, "severity", json_object_new_int(rule->severity));
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

/* A probability or a score delta, to five significant digits. */
static json_object *
num(double v)
{
	char b[32];

	snprintf(b, sizeof(b), "%.5g", v);
	return json_object_new_double_s(v, b);
}

/* One model's verdict on a call: {class, score, alert}, when it scored it. */
static void
add_verdict(json_object *o, const char *key, const struct mw_model *m, bool scored,
		uint16_t cls, float score, bool alert)
{
	if (!scored || m == NULL || cls >= m->n_classes)
		return;
	json_object *j = json_object_new_object();
	json_object_object_add(j, "class", json_object_new_string(m->class_names[cls]));
	json_object_object_add(j, "score", num((double)score));
	json_object_object_add(j, "alert", json_object_new_boolean(alert));
	json_object_object_add(o, key, j);
}

/* "payload_model" and "trace_model". */
static void
add_verdicts(json_object *o, const struct out_ctx *oc, const struct mw_event *ev)
{
	add_verdict(o, "payload_model", oc->models[MW_ALERT_payload],
			ev->flags & MW_EV_PAYLOAD_SCORED, ev->verdict_class, ev->score,
			ev->flags & MW_EV_PAYLOAD_ALERT);
	add_verdict(o, "trace_model", oc->models[MW_ALERT_trace],
			ev->flags & MW_EV_TRACE_SCORED, ev->seq_class, ev->seq_score,
			ev->flags & MW_EV_TRACE_ALERT);
}

/*
 * A write to the event log (alerts false) or the alert log that failed lost
 * its line, and maybe what stdio held before it: counted, and said on
 * stderr when the log starts failing and whenever the reason changes, so a
 * full disk is never silent (nor a flood of lines).
 */
static void
write_failed(struct out_ctx *oc, bool alerts)
{
	int e = errno ? errno : EIO, *last = alerts ? &oc->alert_errno : &oc->event_errno;

	if (alerts)
		oc->alert_write_errors++;
	else
		oc->event_write_errors++;
	if (e != *last)
		fprintf(stderr, "%s: write failed: %s; lines are being lost (counted in the "
				"stats as %s)\n", alerts ? "output.alerts" : "output.events",
				strerror(e), alerts ? "alert_write_errors" : "event_write_errors");
	*last = e;
}

/* fflush f, a failure counted as write_failed */
static void
flush_log(struct out_ctx *oc, FILE *f, bool alerts)
{
	errno = 0;
	if (f != NULL && fflush(f) == EOF)
		write_failed(oc, alerts);
}

void
out_flush(struct out_ctx *oc)
{
	flush_log(oc, oc->events, false);
	flush_log(oc, oc->alerts, true);
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
	add_verdicts(o, oc, ev);
	const char *line = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
			JSON_C_TO_STRING_NOSLASHESCAPE);
	errno = 0;
	int rc = fputs(line, oc->events) < 0 || fputc('\n', oc->events) == EOF ? -1 : 0;
	json_object_put(o);
	if (rc < 0)
		write_failed(oc, false);
	else
		oc->written++;
	return rc;
}

/* ---- alerts ---- */

struct out_window_key {
	uint8_t kind;
	uint8_t pad;
	uint16_t cls;
	uint32_t pad2;
	uint64_t actor;
};

struct out_window {
	uint64_t first_ns, last_ns;
	uint32_t count;
	uint8_t actor_kind;
};

#define OUT_WINDOWS 65536

int
out_alerts_init(struct out_ctx *oc, uint32_t window_s)
{
	struct rte_hash_parameters hp = {
		.name = "alert_windows",
		.entries = OUT_WINDOWS,
		.key_len = sizeof(struct out_window_key),
		.hash_func = rte_hash_crc,
		.socket_id = SOCKET_ID_ANY,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	oc->window_ns = (uint64_t)window_s * 1000000000ull;
	if (oc->window_ns == 0)
		return 0;
	oc->windows = rte_hash_create(&hp);
	oc->win = calloc(OUT_WINDOWS, sizeof(*oc->win));
	return oc->windows && oc->win ? 0 : -1;
}

void
out_alerts_free(struct out_ctx *oc)
{
	rte_hash_free(oc->windows);
	free(oc->win);
	oc->windows = NULL;
	oc->win = NULL;
}

/* Suricata's timestamp: local time with microseconds and the offset. */
static void
eve_time(char *out, size_t n, uint64_t ns)
{
	time_t t = (time_t)(ns / 1000000000ull);
	struct tm tm;
	char a[32], z[8];

	localtime_r(&t, &tm);
	strftime(a, sizeof(a), "%Y-%m-%dT%H:%M:%S", &tm);
	strftime(z, sizeof(z), "%z", &tm);
	snprintf(out, n, "%s.%06u%s", a, (unsigned int)(ns % 1000000000ull / 1000), z);
}

static const char *
alert_category(const char *cls)
{
	static const struct { const char *sub, *cat; } map[] = {
		{ "bola", "Attempted User Privilege Gain" },
		{ "bfla", "Attempted Administrator Privilege Gain" },
		{ "mass", "Attempted User Privilege Gain" },
		{ "auth", "Attempted User Privilege Gain" },
		{ "stuff", "Attempted User Privilege Gain" },
		{ "scrap", "Attempted Information Leak" },
		{ "exfil", "Attempted Information Leak" },
		{ "abuse", "Attempted Denial of Service" },
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strstr(cls, map[i].sub) != NULL)
			return map[i].cat;
	return "Web Application Attack";
}

static const char *
class_name(const struct mw_model *m, unsigned int c)
{
	return m != NULL && c < m->n_classes ? m->class_names[c] : "?";
}

/* "snippet": what the pre-filter flagged in an element's call, or null
 * when the journal no longer holds it. */
static void
add_snippet(json_object *j, const struct out_ctx *oc, const struct mw_elem *el,
		const struct mw_snip *sn)
{
	if (el->snip == 0)
		return;
	if (sn->seq == 0) {
		json_object_object_add(j, "snippet", NULL);
		return;
	}
	json_object *o = json_object_new_object();
	add_text(o, "name", sn->name, RTE_MIN(sn->name_len, (uint8_t)MW_SNIP_NAME));
	if (oc->redact && sn->secret) {
		json_object_object_add(o, "value", json_object_new_string(REDACTED));
	} else {
		add_text(o, "value", sn->text, RTE_MIN(sn->text_len, (uint8_t)MW_SNIP_TEXT));
		json_object_object_add(o, "from", json_object_new_int(sn->from));
		json_object_object_add(o, "to", json_object_new_int(sn->to));
	}
	json_object_object_add(j, "snippet", o);
}

static json_object *
elem_json(const struct out_ctx *oc, const struct mw_elem *el, const struct mw_snip *sn)
{
	json_object *j = json_object_new_object();
	char buf[40];

	json_object_object_add(j, "ts", json_object_new_int64((int64_t)el->ts_ns));
	hex(buf, el->trace_id, 16);
	json_object_object_add(j, "trace_id", json_object_new_string(buf));
	static const uint8_t no_span[8];	/* x-request-id calls have none: null, as in the event log */
	hex(buf, el->span_id, 8);
	json_object_object_add(j, "span_id", memcmp(el->span_id, no_span, 8) != 0 ?
			json_object_new_string(buf) : NULL);
	json_object_object_add(j, "method", json_object_new_string(
			mw_method_names[el->method < MW_METHOD_MAX ? el->method : 0]));
	add_text(j, "template", el->template, strnlen(el->template, sizeof(el->template)));
	json_object_object_add(j, "template_id", json_object_new_int64(el->template_id));
	json_object_object_add(j, "status", json_object_new_int(el->status));
	json_object_object_add(j, "delta", num((double)el->delta));
	json_object_object_add(j, "score", num((double)el->score));
	if (el->payload_class)
		json_object_object_add(j, "payload_class", json_object_new_string(
				class_name(oc->models[MW_ALERT_payload], el->payload_class)));
	if (el->pf_categories) {
		json_object *cats = json_object_new_array(), *rules = json_object_new_array();
		for (int k = 0; k < PF_CAT_MAX; k++)
			if (el->pf_categories & (1u << k))
				json_object_array_add(cats, json_object_new_string(pf_category_names[k]));
		for (int k = 0; k < el->n_rules && k < MW_ELEM_RULES; k++) {
			json_object *r = json_object_new_object();
			const struct pf_known *pr = pf_catalog_get(oc->rules, el->rules[k]);
			if (pr != NULL) {
				json_object_object_add(r, "id", json_object_new_int64(pr->id));
				json_object_object_add(r, "name", json_object_new_string(pr->name));
			}
			json_object_array_add(rules, r);
		}
		json_object_object_add(j, "categories", cats);
		json_object_object_add(j, "rules", rules);
		json_object_object_add(j, "field", json_object_new_string(
				el->pf_field < PF_CLASS_MAX ? pf_class_names[el->pf_field] : "?"));
		add_snippet(j, oc, el, sn);
	}
	return j;
}

/* What every EVE alert starts with: when, the flow, the protocols. */
static void
eve_head(json_object *o, uint64_t ts_ns, const uint8_t client[16], uint16_t cport,
		const uint8_t server[16], uint16_t sport, int v6)
{
	char a[64];

	eve_time(a, sizeof(a), ts_ns);
	json_object_object_add(o, "timestamp", json_object_new_string(a));
	json_object_object_add(o, "flow_id", json_object_new_int64(rte_hash_crc(client, 32,
			(uint32_t)cport << 16 | sport)));
	json_object_object_add(o, "event_type", json_object_new_string("alert"));
	addr_str(a, sizeof(a), client, v6);
	json_object_object_add(o, "src_ip", json_object_new_string(a));
	json_object_object_add(o, "src_port", json_object_new_int(cport));
	addr_str(a, sizeof(a), server, v6);
	json_object_object_add(o, "dest_ip", json_object_new_string(a));
	json_object_object_add(o, "dest_port", json_object_new_int(sport));
	json_object_object_add(o, "proto", json_object_new_string("TCP"));
	json_object_object_add(o, "app_proto", json_object_new_string("http"));
}

static bool
has_alert_output(const struct out_ctx *oc)
{
	return oc->alerts != NULL || oc->sock.path[0] || oc->syslog;
}

/* One alert line to every alert output: the log, the socket, syslog (at
 * prio). -1 when the log could not be written. */
static int
write_line(struct out_ctx *oc, json_object *o, int prio)
{
	size_t n;
	const char *line = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN |
			JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	int rc = 0;

	errno = 0;
	if (oc->alerts != NULL &&
			(fwrite(line, 1, n, oc->alerts) != n || fputc('\n', oc->alerts) == EOF)) {
		write_failed(oc, true);
		rc = -1;
	}
	sink_sock_send(&oc->sock, line, n);
	if (oc->syslog)
		syslog(prio, "%s", line);
	json_object_put(o);
	return rc;
}

static int
write_alert(struct out_ctx *oc, const struct mw_alert *al)
{
	const struct mw_event *ev = &al->ev;
	const struct mw_model *m = oc->models[al->kind];
	const char *cls = class_name(m, al->cls);
	json_object *o = json_object_new_object(), *alert = json_object_new_object();
	json_object *mw = json_object_new_object(), *http = json_object_new_object();
	char buf[4096];
	int v6 = !!(ev->flags & MW_EV_IPV6);
	uint16_t n;

	eve_head(o, al->ts_ns, ev->client_addr, ev->client_port, ev->server_addr,
			ev->server_port, v6);

	/* the http block: the triggering call, else the top element */
	if (al->has_event) {
		const char *s = mw_event_field(ev, MW_FIELD_host, &n);
		if (n)
			add_text(http, "hostname", s, n);
		s = mw_event_field(ev, MW_FIELD_path, &n);
		size_t k = n < sizeof(buf) ? n : sizeof(buf) - 1;
		memcpy(buf, s, k);
		s = mw_event_field(ev, MW_FIELD_query, &n);
		if (n && k + 1 < sizeof(buf)) {
			buf[k++] = '?';
			k += oc->redact ? redact_form(s, n, buf + k, sizeof(buf) - k) :
				(n < sizeof(buf) - k ? (memcpy(buf + k, s, n), n) : 0);
		}
		add_text(http, "url", buf, k);
		json_object_object_add(http, "http_method",
				json_object_new_string(mw_method_names[ev->method]));
		json_object_object_add(http, "status", json_object_new_int(ev->status));
		s = mw_event_field(ev, MW_FIELD_user_agent, &n);
		if (n)
			add_text(http, "http_user_agent", s, n);
		s = mw_event_field(ev, MW_FIELD_content_type, &n);
		if (n)
			add_text(http, "http_content_type", s, n);
		json_object_object_add(http, "length", json_object_new_int64(ev->resp_body_bytes));
	} else if (al->why.n) {
		const struct mw_elem *el = &al->why.e[0];
		add_text(http, "url", el->template, strnlen(el->template, sizeof(el->template)));
		json_object_object_add(http, "http_method", json_object_new_string(
				mw_method_names[el->method < MW_METHOD_MAX ? el->method : 0]));
		json_object_object_add(http, "status", json_object_new_int(el->status));
	}
	json_object_object_add(o, "http", http);

	json_object_object_add(alert, "action", json_object_new_string("allowed"));
	json_object_object_add(alert, "gid", json_object_new_int(1));
	json_object_object_add(alert, "signature_id",
			json_object_new_int(9100000 + al->kind * 1000 + al->cls));
	json_object_object_add(alert, "rev", json_object_new_int(1));
	snprintf(buf, sizeof(buf), "meshwatch %s model: %s", mw_alert_kind_names[al->kind], cls);
	json_object_object_add(alert, "signature", json_object_new_string(buf));
	json_object_object_add(alert, "category", json_object_new_string(alert_category(cls)));
	json_object_object_add(alert, "severity", json_object_new_int(al->score >= 0.9f ? 1 : 2));
	json_object_object_add(o, "alert", alert);

	json_object_object_add(mw, "kind", json_object_new_string(mw_alert_kind_names[al->kind]));
	json_object_object_add(mw, "class", json_object_new_string(cls));
	json_object_object_add(mw, "score", num((double)al->score));
	json_object *sc = json_object_new_object();
	for (unsigned int c = 0; c < al->n_probs; c++)
		json_object_object_add(sc, class_name(m, c),
				num((double)al->probs[c]));
	json_object_object_add(mw, "scores", sc);
	json_object_object_add(mw, "count", json_object_new_int(1));
	if (al->kind != MW_ALERT_actor || al->has_event) {
		hex(buf, al->trace_id, 16);
		json_object_object_add(mw, "trace_id", json_object_new_string(buf));
	}
	add_hex64(mw, "actor", al->actor);
	json_object_object_add(mw, "actor_kind", json_object_new_string(
			mw_actor_kind_names[al->actor_kind < MW_ACTOR_MAX ? al->actor_kind : 0]));
	json_object_object_add(mw, al->kind == MW_ALERT_actor ? "traces" : "calls",
			json_object_new_int64(al->calls));
	add_service(mw, "src_service", oc, ev->src_service, ev, 0);
	add_service(mw, "dst_service", oc, ev->dst_service, ev, al->has_event);
	json_object *why = json_object_new_array();
	for (int i = 0; i < al->why.n && i < MW_EXPLAIN_MAX; i++)
		json_object_array_add(why, elem_json(oc, &al->why.e[i], &al->snip[i]));
	json_object_object_add(mw, "explanation", why);
	if (al->has_event) {
		if (ev->pf_categories)
			add_prefilter(mw, oc, ev);
		add_verdicts(mw, oc, ev);
	}
	json_object_object_add(o, "meshwatch", mw);
	oc->alerts_written++;
	return write_line(oc, o, al->score >= 0.9f ? LOG_WARNING : LOG_NOTICE);
}

static int
write_summary(struct out_ctx *oc, const struct out_window_key *k, const struct out_window *w)
{
	json_object *o = json_object_new_object(), *mw = json_object_new_object();
	char a[64];

	eve_time(a, sizeof(a), w->last_ns);
	json_object_object_add(o, "timestamp", json_object_new_string(a));
	json_object_object_add(o, "event_type", json_object_new_string("alert_summary"));
	json_object_object_add(mw, "kind", json_object_new_string(mw_alert_kind_names[k->kind]));
	json_object_object_add(mw, "class", json_object_new_string(
			class_name(oc->models[k->kind], k->cls)));
	json_object_object_add(mw, "signature_id",
			json_object_new_int(9100000 + k->kind * 1000 + k->cls));
	add_hex64(mw, "actor", k->actor);
	json_object_object_add(mw, "actor_kind", json_object_new_string(
			mw_actor_kind_names[w->actor_kind < MW_ACTOR_MAX ? w->actor_kind : 0]));
	json_object_object_add(mw, "count", json_object_new_int64(w->count));
	json_object_object_add(mw, "first_ts", json_object_new_int64((int64_t)w->first_ns));
	json_object_object_add(mw, "last_ts", json_object_new_int64((int64_t)w->last_ns));
	json_object_object_add(o, "meshwatch", mw);
	return write_line(oc, o, LOG_NOTICE);
}

int
out_finding(struct out_ctx *oc, const struct out_finding *f)
{
	json_object *o, *alert, *http, *mw;

	if (!has_alert_output(oc))
		return 0;
	o = json_object_new_object();
	alert = json_object_new_object();
	http = json_object_new_object();
	mw = json_object_new_object();
	eve_head(o, f->ts_ns, f->client, f->cport, f->server, f->sport, f->v6);
	json_object_object_add(http, "url", json_object_new_string(f->tmpl));
	json_object_object_add(http, "http_method", json_object_new_string(
			mw_method_names[f->method < MW_METHOD_MAX ? f->method : 0]));
	json_object_object_add(o, "http", http);
	json_object_object_add(alert, "action", json_object_new_string("allowed"));
	json_object_object_add(alert, "gid", json_object_new_int(1));
	json_object_object_add(alert, "signature_id", json_object_new_int((int)f->sid));
	json_object_object_add(alert, "rev", json_object_new_int(1));
	json_object_object_add(alert, "signature", json_object_new_string(f->signature));
	json_object_object_add(alert, "category", json_object_new_string(
			"Potential Corporate Privacy Violation"));
	json_object_object_add(alert, "severity", json_object_new_int(3));
	json_object_object_add(o, "alert", alert);
	json_object_object_add(mw, "kind", json_object_new_string("inventory"));
	json_object_object_add(mw, "finding", json_object_new_string(f->finding));
	json_object_object_add(mw, "src_service", json_object_new_string(f->src));
	json_object_object_add(mw, "dst_service", json_object_new_string(f->dst));
	json_object_object_add(mw, "template", json_object_new_string(f->tmpl));
	json_object_object_add(mw, "calls", json_object_new_int64((int64_t)f->calls));
	if (f->with_unauthenticated)
		json_object_object_add(mw, "unauthenticated_calls",
				json_object_new_int64((int64_t)f->unauthenticated));
	json_object_object_add(o, "meshwatch", mw);
	return write_line(oc, o, LOG_INFO);
}

int
out_alert(struct out_ctx *oc, const struct mw_alert *al)
{
	if (al->kind >= MW_ALERT_KIND_MAX)
		return 0;
	if (al->cls < MW_MODEL_MAX_CLASSES)
		oc->raised[al->kind][al->cls]++;
	if (!has_alert_output(oc))
		return 0;
	if (al->ts_ns > oc->now_ns) {
		oc->now_ns = al->ts_ns;
		oc->now_tsc = rte_rdtsc();
	}
	if (oc->windows == NULL)
		return write_alert(oc, al);

	struct out_window_key key = { .kind = al->kind, .cls = al->cls, .actor = al->actor };
	int32_t i = rte_hash_lookup(oc->windows, &key);
	if (i >= 0) {
		struct out_window *w = &oc->win[i];
		if (al->ts_ns >= w->first_ns && al->ts_ns - w->first_ns < oc->window_ns) {
			w->count++;
			w->last_ns = al->ts_ns;
			oc->alerts_suppressed++;
			return 0;
		}
		if (w->count > 1)
			write_summary(oc, &key, w);
	} else {
		i = rte_hash_add_key(oc->windows, &key);
		if (i < 0 || i >= OUT_WINDOWS) {
			oc->windows_full++;
			return write_alert(oc, al);
		}
	}
	oc->win[i] = (struct out_window){ .first_ns = al->ts_ns, .last_ns = al->ts_ns,
		.count = 1, .actor_kind = al->actor_kind };
	return write_alert(oc, al);
}

void
out_alerts_flush(struct out_ctx *oc, uint64_t now_ns)
{
	static struct out_window_key done[1024];
	const void *key;
	void *data;
	uint32_t it = 0;
	int32_t i;
	unsigned int n;

	if (oc->windows == NULL)
		return;
	do {
		n = 0;
		it = 0;
		while (n < 1024 && (i = rte_hash_iterate(oc->windows, &key, &data, &it)) >= 0) {
			struct out_window *w = &oc->win[i];
			if (now_ns != UINT64_MAX && (now_ns < w->first_ns ||
						now_ns - w->first_ns < oc->window_ns))
				continue;
			if (w->count > 1)
				write_summary(oc, key, w);
			done[n++] = *(const struct out_window_key *)key;
		}
		for (unsigned int k = 0; k < n; k++)
			rte_hash_del_key(oc->windows, &done[k]);
	} while (n == 1024);
	flush_log(oc, oc->alerts, true);
}
