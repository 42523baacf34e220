/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sequence store and the feature schema: keys bounded, the least
 * recently used named for eviction, slots reused, states zeroed; what a key
 * costs at the shipped sizes; features in range and the schema's identity
 * stable.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <rte_common.h>
#include <rte_eal.h>
#include <rte_hash_crc.h>

#include "check.h"
#include "inf.h"
#include "schema.h"
#include "seqstore.h"

static void
test_store(void)
{
	struct seq_store *s = seq_store_create("t_store", 16, 64, sizeof(struct inf_trace), 32, 0);
	uint8_t key[16] = { 0 };
	int32_t first = -1;

	CHECK(s != NULL, "create");
	if (s == NULL)
		return;
	for (int i = 0; i < 64; i++) {
		key[0] = (uint8_t)i;
		int32_t k = seq_add(s, key, 1000u + (uint64_t)i);
		CHECK(k >= 0 && k < 64, "key %d got slot %d", i, k);
		if (i == 0)
			first = k;
		seq_state(s, (uint32_t)k)[0] = 1.0f + (float)i;
	}
	key[0] = 200;
	CHECK(seq_add(s, key, 2000) == -1, "a full store takes no key");
	CHECK(seq_oldest(s) == (uint32_t)first, "the oldest is the first added");
	key[0] = 0;
	CHECK(seq_find(s, key) == first, "found again");
	seq_touch(s, (uint32_t)first, 3000);
	CHECK(seq_oldest(s) != (uint32_t)first, "touched: no longer the oldest");
	key[0] = 1;
	int32_t second = seq_find(s, key);
	CHECK(seq_oldest(s) == (uint32_t)second, "the next oldest");
	seq_del(s, (uint32_t)second);
	CHECK(seq_find(s, key) == -1 && s->used == 63, "deleted");
	key[0] = 201;
	int32_t again = seq_add(s, key, 4000);
	CHECK(again == second, "the slot is reused (%d, %d)", again, second);
	CHECK(seq_state(s, (uint32_t)again)[0] == 0.0f, "with a zeroed state");
	CHECK(memcmp(seq_key(s, (uint32_t)again), key, 16) == 0, "and its key");
	uint32_t n = 0;
	for (uint32_t i = s->head; i != SEQ_NIL; i = s->slot[i].next)
		n++;
	CHECK(n == 64 && s->slot[s->tail].last_ns == 4000, "LRU holds every key (%u)", n);
	seq_store_free(s);

	/* the 1 KiB per key target at the shipped hidden size (64) */
	struct seq_store *t = seq_store_create("t_trace", 16, 1024, sizeof(struct inf_trace), 64, 0);
	struct seq_store *a = seq_store_create("t_actor", 8, 1024, sizeof(struct inf_actor), 64, 0);
	CHECK(t && a, "create");
	if (t && a) {
		printf("bytes per key at H=64: trace %llu, actor %llu\n",
				(unsigned long long)(t->bytes / t->capacity),
				(unsigned long long)(a->bytes / a->capacity));
		CHECK(t->bytes / t->capacity <= 1024, "trace key %llu bytes",
				(unsigned long long)(t->bytes / t->capacity));
		CHECK(a->bytes / a->capacity <= 1024, "actor key %llu bytes",
				(unsigned long long)(a->bytes / a->capacity));
	}
	seq_store_free(t);
	seq_store_free(a);
}

static void
test_schema(void)
{
	static char buf[MW_EVENT_SIZE];
	struct mw_event *ev = (struct mw_event *)buf;
	float x[MW_CALL_NFEAT], y[MW_TRACE_NFEAT], pay[MW_PAYLOAD_SLOTS] = { 0.1f, 0.9f };
	unsigned int idx;

	CHECK(mw_call_schema() != mw_trace_schema(), "levels differ");
	CHECK(mw_call_schema() == mw_call_schema(), "stable");
	CHECK(strcmp(mw_call_feature_group(MW_CF_status_class + 4, &idx), "status_class") == 0 &&
			idx == 4, "feature names");
	CHECK(mw_call_feature_group(MW_CALL_NFEAT, &idx) == NULL, "past the end");

	memset(buf, 0, sizeof(buf));
	ev->method = MW_METHOD_POST;
	ev->status = 403;
	ev->ts_req_ns = 5000000000ull;
	ev->ts_resp_ns = ev->ts_req_ns + 2000000;
	ev->req_body_bytes = 1u << 31;
	ev->pf_categories = 1u << PF_CAT_sqli;
	ev->pf_nmatch = 1;
	ev->pf[0].field = PF_CLASS_body;
	ev->trace_kind = MW_TRACE_b3;
	ev->has_parent = 1;
	struct mw_call_ctx ctx = { .position = 3, .prev_ts_ns = ev->ts_req_ns - 1000000,
		.payload = pay, .n_payload = 2 };
	mw_call_features(ev, &ctx, x);
	int bad = 0;
	for (unsigned int i = 0; i < MW_CALL_NFEAT; i++)
		bad += !(x[i] >= 0.0f && x[i] <= 1.0f);
	CHECK(bad == 0, "call features in [0, 1]");
	/* roots: B3 by its parent span; W3C, which has none, by the edge's
	 * X-Forwarded-For */
	CHECK(!mw_trace_root(ev), "a B3 call with a parent is not its trace's root");
	ev->trace_kind = MW_TRACE_w3c;
	ev->has_parent = 0;
	CHECK(!mw_trace_root(ev), "a W3C call from inside the mesh is not a root");
	memcpy(ev->data + ev->data_len, "192.0.2.7", 9);
	ev->field[MW_FIELD_xff].off = ev->data_len;
	ev->field[MW_FIELD_xff].len = 9;
	CHECK(mw_trace_root(ev), "a W3C call through the edge is its trace's root");
	ev->field[MW_FIELD_xff].len = 0;
	ev->trace_kind = MW_TRACE_b3;
	ev->has_parent = 1;
	CHECK(x[MW_CF_method + MW_METHOD_POST] == 1.0f && x[MW_CF_status_class + 4] == 1.0f &&
			x[MW_CF_status_auth + 1] == 1.0f && x[MW_CF_root] == 0.0f &&
			x[MW_CF_pf_category + PF_CAT_sqli] == 1.0f &&
			x[MW_CF_pf_field + PF_CLASS_body] == 1.0f && x[MW_CF_payload + 1] == 0.9f,
			"call features say what the call was");
	CHECK(x[MW_CF_latency] > 0.0f && x[MW_CF_since_prev] > 0.0f && x[MW_CF_position] > 0.0f,
			"times and position");

	struct seq_summary sm = { .calls = 4, .status_mix = { 0, 0, 2, 0, 2, 0 },
		.auth_failures = 2, .n_ids = 4, .n_templates = 2, .ts_first_ns = 1,
		.ts_last_ns = 1000000000ull, .resp_bytes = 1ull << 60 };
	struct mw_trace_ctx tctx = { .new_ids = 3, .new_templates = 1 };
	mw_trace_features(&sm, &tctx, y);
	bad = 0;
	for (unsigned int i = 0; i < MW_TRACE_NFEAT; i++)
		bad += !(y[i] >= 0.0f && y[i] <= 1.0f);
	CHECK(bad == 0, "trace features in [0, 1]");
	CHECK(y[MW_TF_status_mix + 4] == 0.5f && y[MW_TF_auth_failures] == 0.5f &&
			y[MW_TF_new_ids] == 0.75f && y[MW_TF_new_endpoints] == 0.5f &&
			y[MW_TF_since_prev] == 0.0f, "trace features say what the trace was");

	/* a heavy user's forty ordinary pages against an export's four large
	 * ones: more bytes, less excess */
	struct mw_actor_history heavy_h = { { 0 } }, export_h = { { 0 } };
	struct seq_summary heavy = { .calls = 40, .resp_bytes = 40ull << 20,
		.resp_excess_sum = 0.8f, .ts_first_ns = 1, .ts_last_ns = 2 };
	struct seq_summary export = { .calls = 4, .resp_bytes = 4ull << 20,
		.resp_excess_sum = 2.0f, .ts_first_ns = 1, .ts_last_ns = 2 };
	float z[MW_TRACE_NFEAT];
	mw_actor_step(&heavy_h, &heavy, y);
	mw_actor_step(&heavy_h, &heavy, y);
	mw_actor_step(&export_h, &export, z);
	mw_actor_step(&export_h, &export, z);
	CHECK(y[MW_TF_history_excess_per_call] < 0.05f && z[MW_TF_history_excess_per_call] > 0.4f &&
			z[MW_TF_history_resp_excess] > y[MW_TF_history_resp_excess],
			"history: an export's answers exceed their endpoints', a heavy user's "
			"do not (%.2f %.2f, %.2f %.2f)", y[MW_TF_history_excess_per_call],
			z[MW_TF_history_excess_per_call], y[MW_TF_history_resp_excess],
			z[MW_TF_history_resp_excess]);
}

static void
put_template(struct mw_event *ev, const char *t)
{
	ev->data_len = 0;
	memcpy(ev->data, t, strlen(t));
	ev->field[MW_FIELD_template].off = 0;
	ev->field[MW_FIELD_template].len = (uint16_t)strlen(t);
	ev->data_len = (uint16_t)strlen(t);
}

/* A call by actor on template, naming object id. */
static int
named(struct mw_objects *o, struct mw_event *ev, uint64_t actor, uint8_t kind, const char *t,
		uint64_t id)
{
	ev->actor = actor;
	ev->actor_kind = kind;
	put_template(ev, t);
	ev->n_ids = id != 0;
	ev->object_ids[0] = id;
	return mw_objects_check(o, ev, NULL);
}

static void
test_objects(void)
{
	static char buf[MW_EVENT_SIZE];
	static struct mw_objects o;
	static struct mw_endpoints b;
	struct mw_event *ev = (struct mw_event *)buf;

	memset(buf, 0, sizeof(buf));
	CHECK(named(&o, ev, 1, MW_ACTOR_jwt, "/users/{id}/documents", 7) == MW_OBJECT_NEW,
			"a new object is its first principal's");
	CHECK(named(&o, ev, 1, MW_ACTOR_jwt, "/users/{id}", 7) == MW_OBJECT_OWN,
			"and stays its own");
	CHECK(named(&o, ev, 2, MW_ACTOR_jwt, "/users/{id}/documents", 7) == MW_OBJECT_FOREIGN,
			"another principal naming it trespasses");
	CHECK(named(&o, ev, 2, MW_ACTOR_jwt, "/films/{id}", 7) == MW_OBJECT_NEW,
			"the same id of another resource is another object");
	CHECK(named(&o, ev, 3, MW_ACTOR_addr, "/users/{id}", 7) == MW_OBJECT_NONE,
			"an address is no principal: services call everyone's objects");
	CHECK(named(&o, ev, 2, MW_ACTOR_jwt, "/users", 0) == MW_OBJECT_NONE, "no object named");
	/* a walk past the newest id: 404s claim nothing, so the object's
	 * creator is not taken for its trespasser later */
	ev->status = 404;
	CHECK(named(&o, ev, 4, MW_ACTOR_jwt, "/trips/{id}", 8) == MW_OBJECT_NEW,
			"an id answered 404 is nobody's");
	ev->status = 201;
	CHECK(named(&o, ev, 5, MW_ACTOR_jwt, "/trips/{id}", 8) == MW_OBJECT_NEW &&
			named(&o, ev, 5, MW_ACTOR_jwt, "/trips/{id}", 8) == MW_OBJECT_OWN,
			"and the first to name it with an answer takes it");
	ev->status = 403;
	CHECK(named(&o, ev, 4, MW_ACTOR_jwt, "/trips/{id}", 8) == MW_OBJECT_FOREIGN,
			"a refused trespass is still one");
	ev->status = 0;

	/* trespass weighs a foreign object by how rarely the endpoint's are
	 * shared: film pages are everyone's, documents are not */
	struct mw_call_ctx ctx;
	ev->template_id = 11;
	for (uint64_t a = 10; a < 60; a++) {
		memset(&ctx, 0, sizeof(ctx));
		ctx.foreign = named(&o, ev, a, MW_ACTOR_jwt, "/films/{id}", 99);
		mw_endpoint_observe(&b, ev, &ctx);
	}
	CHECK(ctx.foreign == MW_OBJECT_FOREIGN && ctx.trespass < 0.1f,
			"a shared catalog: no trespass (%.2f)", ctx.trespass);
	ev->template_id = 12;
	for (uint64_t a = 10; a < 60; a++) {
		memset(&ctx, 0, sizeof(ctx));
		ctx.foreign = named(&o, ev, a, MW_ACTOR_jwt, "/users/{id}/documents", 1000 + a);
		mw_endpoint_observe(&b, ev, &ctx);
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.foreign = named(&o, ev, 10, MW_ACTOR_jwt, "/users/{id}/documents", 1011);
	mw_endpoint_observe(&b, ev, &ctx);
	CHECK(ctx.foreign == MW_OBJECT_FOREIGN && ctx.trespass > 0.9f,
			"private objects: trespass (%.2f)", ctx.trespass);
	float x[MW_CALL_NFEAT];
	mw_call_features(ev, &ctx, x);
	CHECK(x[MW_CF_foreign_object] == 1.0f && x[MW_CF_trespass] == ctx.trespass,
			"the call features carry it");

	/* public profiles: visitors name users nobody named yet far more
	 * often than ones another visitor claimed, and almost never their
	 * own; a first name says nothing of sharing, so one foreign read
	 * here is no trespass */
	ev->template_id = 13;
	for (uint64_t a = 100; a < 200; a++) {
		memset(&ctx, 0, sizeof(ctx));
		ctx.foreign = named(&o, ev, a, MW_ACTOR_jwt, "/users/{id}/reviews",
				a % 10 ? 5000 + a : 5000 + a - 1);
		mw_endpoint_observe(&b, ev, &ctx);
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.foreign = named(&o, ev, 300, MW_ACTOR_jwt, "/users/{id}/reviews", 5151);
	mw_endpoint_observe(&b, ev, &ctx);
	CHECK(ctx.foreign == MW_OBJECT_FOREIGN && ctx.trespass < 0.1f,
			"public profiles, mostly first reads: no trespass (%.2f)", ctx.trespass);

	/* an enumerator's thousand reads of others' documents count as one
	 * principal's: the next trespasser there still trespasses */
	ev->template_id = 14;
	for (uint64_t a = 400; a < 500; a++)
		for (int k = 0; k < 2; k++) {
			memset(&ctx, 0, sizeof(ctx));
			ctx.foreign = named(&o, ev, a, MW_ACTOR_jwt, "/users/{id}/documents",
					7000 + a);
			mw_endpoint_observe(&b, ev, &ctx);
		}
	for (uint64_t id = 0; id < 1000; id++) {
		memset(&ctx, 0, sizeof(ctx));
		ctx.foreign = named(&o, ev, 666, MW_ACTOR_jwt, "/users/{id}/documents",
				7400 + id % 100);
		mw_endpoint_observe(&b, ev, &ctx);
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.foreign = named(&o, ev, 667, MW_ACTOR_jwt, "/users/{id}/documents", 7450);
	mw_endpoint_observe(&b, ev, &ctx);
	CHECK(ctx.foreign == MW_OBJECT_FOREIGN && ctx.trespass > 0.9f,
			"after an enumerator's 1 000 reads, the next trespasser (%.2f)",
			ctx.trespass);

	/* a creation's Location makes its creator the owner before anyone
	 * names the object, whoever names it first */
	ev->created = mw_object_key(77, rte_hash_crc("contracts", 9, MW_OBJECT_RES_SEED));
	CHECK(named(&o, ev, 5, MW_ACTOR_jwt, "/contracts", 0) == MW_OBJECT_NONE,
			"POST /contracts: 201");
	ev->created = 0;
	CHECK(named(&o, ev, 6, MW_ACTOR_jwt, "/contracts/{id}", 77) == MW_OBJECT_FOREIGN,
			"another naming it first trespasses all the same");
	CHECK(named(&o, ev, 5, MW_ACTOR_jwt, "/contracts/{id}/return", 77) == MW_OBJECT_OWN,
			"its creator does not");

	/* POST /shipments by user 8, and inside it shipping's call for the
	 * contract the shipment is for: the contract is the user's */
	struct mw_trace_objects held = { { 0 } };
	ev->actor = 40, ev->actor_kind = MW_ACTOR_addr;
	put_template(ev, "/contracts/{id}");
	ev->n_ids = 1, ev->object_ids[0] = 88;
	CHECK(mw_objects_check(&o, ev, &held) == MW_OBJECT_NONE && held.key[0] && !held.key[1],
			"a service's call holds the object for its trace");
	ev->actor = 8, ev->actor_kind = MW_ACTOR_jwt;
	put_template(ev, "/shipments");
	ev->n_ids = 0;
	CHECK(mw_objects_check(&o, ev, &held) == MW_OBJECT_NONE && !held.key[0],
			"the trace's caller claims it");
	CHECK(named(&o, ev, 9, MW_ACTOR_jwt, "/contracts/{id}/return", 88) == MW_OBJECT_FOREIGN,
			"another user returning the contract trespasses");
	CHECK(named(&o, ev, 8, MW_ACTOR_jwt, "/contracts/{id}", 88) == MW_OBJECT_OWN,
			"its user does not");
	ev->actor = 40, ev->actor_kind = MW_ACTOR_addr;
	put_template(ev, "/contracts/{id}");
	ev->n_ids = 1, ev->object_ids[0] = 77;
	mw_objects_check(&o, ev, &held);
	ev->actor = 6, ev->actor_kind = MW_ACTOR_jwt;
	put_template(ev, "/shipments");
	ev->n_ids = 0;
	mw_objects_check(&o, ev, &held);
	CHECK(named(&o, ev, 6, MW_ACTOR_jwt, "/contracts/{id}", 77) == MW_OBJECT_FOREIGN,
			"a claim through a trace takes no object that has an owner");

	/* a public profile's first visitor claims its user; the user's own
	 * id, named with their own token, proves whose it is */
	CHECK(named(&o, ev, 20, MW_ACTOR_jwt, "/users/{id}/reviews", 500) == MW_OBJECT_NEW,
			"a visitor");
	ev->self_ids = 1;
	CHECK(named(&o, ev, 21, MW_ACTOR_jwt, "/users/{id}/documents", 500) == MW_OBJECT_OWN,
			"the user on their own documents does not trespass");
	ev->self_ids = 0;
	CHECK(named(&o, ev, 20, MW_ACTOR_jwt, "/users/{id}/documents", 500) == MW_OBJECT_FOREIGN,
			"the visitor on them does");
}

/* A JWT call of method on endpoint template t (id), privileged or not. */
static struct mw_call_ctx
called(struct mw_endpoints *b, struct mw_event *ev, uint8_t method, uint32_t t, int priv)
{
	struct mw_call_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.foreign = -1;
	ev->actor_kind = MW_ACTOR_jwt;
	ev->jwt_state = MW_JWT_valid;
	ev->method = method;
	ev->template_id = t;
	ev->flags = (ev->flags & MW_EV_SELF_OBJECT) | (priv ? MW_EV_JWT_PRIVILEGED : 0);
	mw_endpoint_observe(b, ev, &ctx);
	return ctx;
}

static void
test_overreach(void)
{
	static char buf[MW_EVENT_SIZE];
	static struct mw_endpoints b;
	struct mw_event *ev = (struct mw_event *)buf;
	struct mw_call_ctx c;

	memset(buf, 0, sizeof(buf));
	for (int i = 0; i < 200; i++) {
		called(&b, ev, MW_METHOD_GET, 21, i % 3 == 0);	/* the catalog: everyone */
		called(&b, ev, MW_METHOD_GET, 22, 1);		/* the staff screen */
	}
	c = called(&b, ev, MW_METHOD_GET, 22, 0);
	CHECK(c.overreach > 0.9f, "a user on the staff's endpoint (%.2f)", c.overreach);
	c = called(&b, ev, MW_METHOD_GET, 22, 1);
	CHECK(c.overreach == 0.0f, "staff on their own");
	c = called(&b, ev, MW_METHOD_GET, 21, 0);
	CHECK(c.overreach < 0.5f, "a user in the catalog (%.2f)", c.overreach);
	float before = c.rarity;
	c = called(&b, ev, MW_METHOD_DELETE, 21, 0);
	CHECK(c.rarity > before + 0.3f && c.overreach == 0.0f,
			"DELETE on what clients read is an endpoint of its own, new (%.2f against %.2f)",
			c.rarity, before);
	float x[MW_CALL_NFEAT];
	c = called(&b, ev, MW_METHOD_GET, 22, 0);
	mw_call_features(ev, &c, x);
	CHECK(x[MW_CF_overreach] == c.overreach && x[MW_CF_privileged] == 0.0f,
			"the call features carry it");
}

/* Callers naming themselves in the path (/users/42 with sub 42), and one
 * naming someone else there; where callers name others (public profiles),
 * naming someone else is nothing. */
static void
test_impersonation(void)
{
	static char buf[MW_EVENT_SIZE];
	static struct mw_endpoints b;
	struct mw_event *ev = (struct mw_event *)buf;
	struct mw_call_ctx c;

	memset(buf, 0, sizeof(buf));
	ev->n_ids = 1;
	for (int i = 0; i < 100; i++) {
		ev->flags = 0;
		called(&b, ev, MW_METHOD_GET, 31, 0);		/* public profiles */
		ev->flags = MW_EV_SELF_OBJECT;
		called(&b, ev, MW_METHOD_GET, 32, 0);		/* /users/{id}/payment-methods */
	}
	ev->flags = 0;
	c = called(&b, ev, MW_METHOD_GET, 32, 0);
	CHECK(c.impersonation > 0.9f, "another user's payment methods (%.2f)", c.impersonation);
	c = called(&b, ev, MW_METHOD_GET, 32, 1);
	CHECK(c.impersonation == 0.0f, "staff may look");
	c = called(&b, ev, MW_METHOD_GET, 31, 0);
	CHECK(c.impersonation == 0.0f, "a public profile (%.2f)", c.impersonation);
	float x[MW_CALL_NFEAT];
	c = called(&b, ev, MW_METHOD_GET, 32, 0);
	mw_call_features(ev, &c, x);
	CHECK(x[MW_CF_impersonation] == c.impersonation && x[MW_CF_self_object] == 0.0f,
			"the call features carry it");
	ev->flags = MW_EV_SELF_OBJECT;
	c = called(&b, ev, MW_METHOD_GET, 32, 0);
	mw_call_features(ev, &c, x);
	CHECK(x[MW_CF_self_object] == 1.0f && c.impersonation == 0.0f, "and the caller's own");
}

/* The records a call asks for, from its query's page-size parameters. */
static void
test_page_size(void)
{
	static const struct {
		const char *query;
		unsigned int records;
	} cases[] = {
		{ "limit=585&page=2", 585 }, { "page=3&per_page=100", 100 },
		{ "q=star&limit=20&PageSize=50", 50 }, { "%24top=1000", 0 }, { "$top=1000", 1000 },
		{ "limit=abc", 0 }, { "limit=", 0 }, { "page=900", 0 }, { "", 0 },
		{ "size=XL&count=7;max=9", 9 }, { "limit=99999999999999999999", 1u << 30 },
	};
	static char buf[MW_EVENT_SIZE];
	static struct mw_endpoints b;
	struct mw_event *ev = (struct mw_event *)buf;
	struct mw_call_ctx ctx;
	float x[MW_CALL_NFEAT];

	for (unsigned int i = 0; i < RTE_DIM(cases); i++) {
		memset(buf, 0, sizeof(buf));
		size_t n = strlen(cases[i].query);
		memcpy(ev->data, cases[i].query, n);
		ev->field[MW_FIELD_query].len = (uint16_t)n;
		ev->data_len = (uint16_t)n;
		memset(&ctx, 0, sizeof(ctx));
		mw_endpoint_observe(&b, ev, &ctx);
		mw_call_features(ev, &ctx, x);
		float want = (float)(log2(1.0 + cases[i].records) / 16.0);
		want = want < 1.0f ? want : 1.0f;
		CHECK(fabsf(x[MW_CF_page_size] - want) < 1e-4f, "%s: %.3f, want %.3f",
				cases[i].query, x[MW_CF_page_size], want);
	}
}

/* A log-in to account with password, answered status, at minute m. */
static struct mw_call_ctx
login(struct mw_logins *l, struct mw_event *ev, uint64_t account, uint32_t password,
		uint16_t status, uint64_t m)
{
	struct mw_call_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ev->account = account;
	ev->password_tag = password;
	ev->status = status;
	ev->ts_req_ns = m * 60000000000ull;
	mw_logins_check(l, ev, &ctx);
	return ctx;
}

static void
test_logins(void)
{
	static char buf[MW_EVENT_SIZE];
	static struct mw_logins l;
	struct mw_event *ev = (struct mw_event *)buf;
	struct mw_call_ctx c;

	memset(buf, 0, sizeof(buf));
	c = login(&l, ev, 0, 0, 401, 1000);
	CHECK(c.login == 0.0f && c.unproven == 0.0f, "a call that is no log-in: nothing");
	c = login(&l, ev, 0xa11ce, 0x5ec4e7, 401, 1000);
	CHECK(c.login == 1.0f && c.unproven == 1.0f && c.account_failures == 0.0f &&
			c.password_spread == 0.0f, "a first, failed log-in");
	c = login(&l, ev, 0xa11ce, 0x900d, 200, 1001);
	CHECK(c.account_failures > 0.0f && c.unproven == 1.0f, "the account's failure is remembered");
	c = login(&l, ev, 0xa11ce, 0x900d, 200, 1002);
	CHECK(c.unproven == 0.0f, "an account seen to succeed is proven");

	/* brute force: many failures on one account, from anywhere */
	for (int i = 0; i < 40; i++)
		c = login(&l, ev, 0xb0b, 0x1000 + (uint32_t)i, 401, 2000);
	CHECK(c.account_failures > 0.8f, "40 failures on one account (%.2f)", c.account_failures);
	c = login(&l, ev, 0xb0b, 0x2, 401, 1999);
	CHECK(c.account_failures > 0.8f, "a call handed on late does not wipe them (%.2f)",
			c.account_failures);
	c = login(&l, ev, 0xb0b, 0x1, 401, 2000 + 6 * MW_LOGIN_HALF_MIN);
	CHECK(c.account_failures < 0.4f, "an hour later they have faded (%.2f)", c.account_failures);

	/* spraying: one password failing on many accounts */
	for (uint64_t a = 1; a <= 30; a++)
		c = login(&l, ev, a * 0x9e3779b97f4a7c15ull, 0x5b2a7, 401, 3000);
	CHECK(c.password_spread > 0.7f, "one password on 30 accounts (%.2f)", c.password_spread);
	for (int i = 0; i < 30; i++)
		c = login(&l, ev, 0xcafe00, 0x7e57, 401, 3000);
	CHECK(c.password_spread < 0.2f, "one account retrying one password spreads nowhere (%.2f)",
			c.password_spread);
	float x[MW_CALL_NFEAT];
	c = login(&l, ev, 0xb0b, 0x5b2a7, 401, 3001);
	mw_call_features(ev, &c, x);
	CHECK(x[MW_CF_login] == 1.0f && x[MW_CF_password_spread] == c.password_spread &&
			x[MW_CF_account_failures] == c.account_failures, "the call features carry it");
}

/* ev's query is q */
static void
put_query(struct mw_event *ev, const char *q)
{
	size_t n = strlen(q);

	memcpy(ev->data, q, n);
	ev->field[MW_FIELD_query].off = 0;
	ev->field[MW_FIELD_query].len = (uint16_t)n;
	ev->data_len = (uint16_t)n;
}

/* What the baselines say of a GET of endpoint t with query q. */
static struct mw_call_ctx
asked(struct mw_endpoints *b, struct mw_event *ev, uint32_t t, const char *q)
{
	put_query(ev, q);
	return called(b, ev, MW_METHOD_GET, t, 0);
}

/* page_excess: records asked for against what the endpoint's callers ask
 * for. A partner lookup asked for 1 to 3 records at a time: limit=200 on
 * it is an export, and the same limit on a list clients page through 20
 * to 100 at a time is not; nor is the lookup's own largest page. */
static void
test_page_excess(void)
{
	static char buf[MW_EVENT_SIZE];
	static struct mw_endpoints b;
	struct mw_event *ev = (struct mw_event *)buf;
	struct mw_call_ctx c;
	char q[32];

	c = asked(&b, ev, 0x51, "limit=200&offset=3");
	CHECK(c.page_excess == 0.0f, "no baseline yet: no excess (%.2f)", c.page_excess);
	for (int i = 0; i < 500; i++) {
		snprintf(q, sizeof(q), "phone=%d&limit=%d", i, 1 + i % 3);
		asked(&b, ev, 0x51, q);
		snprintf(q, sizeof(q), "page=%d&per_page=%d", i, 20 + 20 * (i % 5));
		asked(&b, ev, 0x52, q);
		asked(&b, ev, 0x53, "q=star");
	}
	float x[MW_CALL_NFEAT];
	c = asked(&b, ev, 0x51, "limit=200&offset=3");
	mw_call_features(ev, &c, x);
	CHECK(c.page_excess > 0.65f && x[MW_CF_page_excess] == c.page_excess,
			"limit=200 on a lookup of 1 to 3: an export (%.2f)", c.page_excess);
	c = asked(&b, ev, 0x52, "page=7&per_page=200");
	CHECK(c.page_excess > 0.0f && c.page_excess < 0.3f,
			"the same on a list paged 20 to 100 at a time: hardly (%.2f)", c.page_excess);
	c = asked(&b, ev, 0x51, "limit=3");
	CHECK(c.page_excess < 0.15f, "the lookup's largest usual page: none (%.2f)",
			c.page_excess);
	c = asked(&b, ev, 0x53, "q=star");
	CHECK(c.page_excess == 0.0f, "a call that asks for no page: none");

	/* a trace's highest, for the sequence models */
	struct seq_summary s;
	memset(&s, 0, sizeof(s));
	mw_call_features(ev, &c, x);
	x[MW_CF_page_excess] = 0.7f;
	const float pay[MW_PAYLOAD_SLOTS] = { 0 }, p[1] = { 1.0f };
	mw_summary_add(&s, ev, x, pay, p, 1);
	float y[MW_TRACE_NFEAT];
	struct mw_trace_ctx tc = { 0 };
	mw_trace_features(&s, &tc, y);
	CHECK(fabsf(y[MW_TF_page_excess_max] - 0.7f) < 1e-4f, "page_excess_max %.2f",
			y[MW_TF_page_excess_max]);
}

/* Crowded tables: the junk a day of attacks and scanners brings (one-off
 * paths, fuzzed names, a breach list's accounts) must not make what
 * clients use look new. */
static void
test_crowded(void)
{
	static char buf[MW_EVENT_SIZE];
	static struct mw_endpoints b;
	static struct mw_objects o;
	static struct mw_logins l;
	struct mw_event *ev = (struct mw_event *)buf;
	struct mw_call_ctx ctx;
	char q[32];

	memset(buf, 0, sizeof(buf));
	ev->method = MW_METHOD_GET;
	for (int i = 0; i < 2000; i++) {
		ev->template_id = 0xa;
		put_query(ev, "name=x");
		memset(&ctx, 0, sizeof(ctx));
		mw_endpoint_observe(&b, ev, &ctx);
	}
	for (uint32_t i = 0; i < 20000; i++) {
		ev->template_id = 0x100000 + i;
		snprintf(q, sizeof(q), "junk%u=1", i);
		put_query(ev, q);
		mw_endpoint_observe(&b, ev, &ctx);
	}
	ev->template_id = 0xa;
	put_query(ev, "name=y");
	memset(&ctx, 0, sizeof(ctx));
	mw_endpoint_observe(&b, ev, &ctx);
	CHECK(ctx.rarity < 0.3f && ctx.unusual_params == 0.0f,
			"20 000 one-off endpoints and names later, a busy endpoint and its "
			"parameter are not new (rarity %.2f, unusual %.2f)", ctx.rarity,
			ctx.unusual_params);

	memset(buf, 0, sizeof(buf));
	const int n_obj = 30000;
	for (int i = 1; i <= n_obj; i++)
		named(&o, ev, 1, MW_ACTOR_jwt, "/users/{id}/documents", (uint64_t)i * 0x9e3779b97f4a7c15ull);
	int kept = 0;
	for (int i = 1; i <= n_obj; i++)
		kept += named(&o, ev, 2, MW_ACTOR_jwt, "/users/{id}/documents",
				(uint64_t)i * 0x9e3779b97f4a7c15ull) == MW_OBJECT_FOREIGN;
	CHECK(kept >= n_obj - n_obj / 1000, "%d of %d objects keep their owner", kept, n_obj);

	for (uint64_t a = 1; a <= 8000; a++)
		login(&l, ev, a * 0xd6e8feb86659fd93ull, 0x600d, 200, 5000);
	for (uint64_t a = 1; a <= 30000; a++)
		login(&l, ev, a * 0x9e3779b97f4a7c15ull + 7, 0xbad0000 + (uint32_t)a, 401, 5001);
	int proven = 0;
	for (uint64_t a = 1; a <= 8000; a++)
		proven += login(&l, ev, a * 0xd6e8feb86659fd93ull, 0x600d, 200, 5002).unproven == 0.0f;
	CHECK(proven >= 8000 - 8, "after 30 000 failed log-ins to other accounts, %d of 8 000 "
			"accounts are still proven", proven);
}

int
main(int argc, char **argv)
{
	(void)argc;
	if (test_eal_init(argv[0], "256") < 0)
		return 2;
	test_store();
	test_schema();
	test_objects();
	test_logins();
	test_overreach();
	test_impersonation();
	test_page_size();
	test_page_excess();
	test_crowded();
	printf("%d checks, %d failed\n", checks, failures);
	rte_eal_cleanup();
	return failures != 0;
}
