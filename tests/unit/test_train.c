/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * meshwatch-train's nets (inference/train/nn.h):
 *   - gradient check: every parameter tensor's gradient from oneDNN's
 *     backward primitives (and the hand-written embedding scatter, loss and
 *     head) matches central finite differences of the loss on tiny models;
 *   - a trained net writes a model file that the appliance's oneDNN
 *     inference code loads and scores exactly as the trainer does;
 *   - training drives a toy task's loss down and beats chance widely.
 */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_hash_crc.h>

#include "check.h"
#include "data.h"
#include "gru.h"
#include "nn.h"
#include "payload.h"
#include "schema.h"
#include "stack.h"

static uint64_t seed = 42;

/* Analytic against numeric gradients on up to `per` entries of each
 * tensor; returns how many disagree beyond tolerance (printing them). */
static int
gradcheck(const char *what, struct tr_param *p, unsigned int np, double (*loss)(void *),
		void *net, unsigned int per, int *checked)
{
	int bad = 0;

	for (unsigned int k = 0; k < np; k++) {
		float *ana = malloc(p[k].n * sizeof(float));
		loss(net);	/* the gradient at the unperturbed point */
		memcpy(ana, p[k].g, p[k].n * sizeof(float));
		for (unsigned int j = 0; j < per && j < p[k].n; j++) {
			size_t i = p[k].n <= per ? j : (size_t)(tr_rand(&seed) % p[k].n);
			const float h = 1e-2f, w0 = p[k].w[i];
			p[k].w[i] = w0 + h;
			double lp = loss(net);
			p[k].w[i] = w0 - h;
			double lm = loss(net);
			p[k].w[i] = w0;
			double num = (lp - lm) / (2.0 * h), a = ana[i];
			double tol = 2e-2 * fmax(fabs(num), fabs(a)) + 2e-4;
			(*checked)++;
			if (fabs(num - a) > tol && bad++ < 8)
				fprintf(stderr, "  %s %s[%zu]: oneDNN %.6g, finite differences %.6g\n",
						what, p[k].name, i, a, num);
		}
		free(ana);
	}
	return bad;
}

/* ---- payload ---- */

struct pay_case {
	struct tr_payload n;
	int y[4];
	float w[4];
};

static double
pay_loss(void *arg)
{
	struct pay_case *c = arg;
	return tr_payload_step(&c->n, c->y, c->w);
}

static void
test_payload_gradients(void)
{
	struct pay_case c;
	char err[256];
	int checked = 0;

	CHECK(tr_payload_init(&c.n, 16, 4, 6, 3, 3, 4, 7, err, sizeof(err)) == 0, "%s", err);
	for (int i = 0; i < 5; i++)	/* biases too: not all zero */
		for (size_t j = 0; j < c.n.p[i].n; j++)
			c.n.p[i].w[j] += 0.1f * (2.0f * tr_uniform(&seed) - 1.0f);
	for (uint32_t b = 0; b < 4; b++) {
		uint8_t t[16];
		for (int j = 0; j < 16; j++)
			t[j] = (uint8_t)("abc'= or1<>"[tr_rand(&seed) % 11]);
		tr_payload_set(&c.n, b, t, 12 + b);
		c.y[b] = (int)(b % 3);
		c.w[b] = b == 3 ? 0.5f : 1.0f;
	}
	int bad = gradcheck("payload", c.n.p, 5, pay_loss, &c, 40, &checked);
	/* max pooling and ReLU have kinks where a step of h can switch the
	 * winner: allow a few of those, no more */
	CHECK(bad <= checked / 50, "payload: %d of %d gradients disagree", bad, checked);
	printf("payload gradient check: %d of %d entries agree\n", checked - bad, checked);
	tr_payload_free(&c.n);
}

/* ---- GRU ---- */

struct gru_case {
	struct tr_gru g;
	int y[4 * 3];
	float w[4 * 3];
};

static double
gru_loss(void *arg)
{
	struct gru_case *c = arg;
	return tr_gru_step(&c->g, c->y, c->w);
}

static void
test_gru_gradients(void)
{
	struct gru_case c;
	char err[256];
	int checked = 0;

	CHECK(tr_gru_init(&c.g, 5, 4, 3, 3, 4, 9, err, sizeof(err)) == 0, "%s", err);
	for (int i = 0; i < 5; i++)
		for (size_t j = 0; j < c.g.p[i].n; j++)
			c.g.p[i].w[j] += 0.2f * (2.0f * tr_uniform(&seed) - 1.0f);
	for (size_t i = 0; i < 4 * 3 * 5; i++)
		c.g.x[i] = 2.0f * tr_uniform(&seed) - 1.0f;
	for (size_t i = 0; i < 3 * 4; i++)
		c.g.h0[i] = 0.5f * (2.0f * tr_uniform(&seed) - 1.0f);
	for (int i = 0; i < 12; i++) {
		c.y[i] = (int)(tr_rand(&seed) % 3);
		c.w[i] = i == 11 ? 0.0f : 1.0f;	/* a padded step */
	}
	int bad = gradcheck("gru", c.g.p, 5, gru_loss, &c, 48, &checked);
	CHECK(bad == 0, "GRU: %d of %d gradients disagree", bad, checked);
	printf("GRU gradient check: %d of %d entries agree\n", checked - bad, checked);

	/* the model file it writes scores the same in the appliance's code */
	struct mw_tensor t[5];
	static const char *const names[3] = { "benign", "a", "b" };
	const float thr[3] = { 0.5f, 0.5f, 0.5f };
	tr_params_tensors(c.g.p, 5, t);
	struct mw_model_spec spec = { .kind = MW_MODEL_SEQUENCE, .schema_hash = 1,
		.dims = { 5, 4 }, .n_classes = 3, .class_names = names, .thresholds = thr,
		.n_tensors = 5, .tensors = t, .meta = "{}" };
	const char *path = "test-train-gru.mwm";
	CHECK(mw_model_write(path, &spec, err, sizeof(err)) == 0, "%s", err);
	struct mw_model *m = mw_model_load(path, MW_MODEL_SEQUENCE, 1, err, sizeof(err));
	CHECK(m != NULL, "%s", err);
	struct inf_gru ig;
	if (m != NULL && inf_gru_init(&ig, m, 3, -1, INF_F32, err, sizeof(err)) == 0) {
		memset(c.g.h0, 0, sizeof(float) * 3 * 4);
		CHECK(tr_gru_forward(&c.g) == 0, "forward");
		float state[3][4] = { { 0 } }, probs[3 * 3];
		float *sp[3] = { state[0], state[1], state[2] };
		double worst = 0.0;
		for (uint32_t s = 0; s < 4; s++) {
			CHECK(inf_gru_step(&ig, c.g.x + (size_t)s * 3 * 5, sp, 3, probs) == 0, "step");
			for (int k = 0; k < 9; k++)
				worst = fmax(worst, fabs(probs[k] - c.g.probs[(size_t)s * 9 + k]));
		}
		CHECK(worst < 1e-5, "inference and training differ by %g", worst);
		inf_gru_free(&ig);
	} else {
		CHECK(0, "inf_gru_init: %s", err);
	}
	mw_model_free(m);
	remove(path);
	tr_gru_free(&c.g);
}

/* ---- a toy task: does training learn? ---- */

static void
test_payload_learns(void)
{
	struct tr_payload n;
	struct tr_opt o = { .lr = 3e-3f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f };
	char err[256];
	int y[32];
	float w[32];
	double first = 0.0, last = 0.0;
	static const char *const bad[] = { "' or 1=1--", "<script>", ";cat /etc/passwd", "../../" };
	static const char *const good[] = { "o'brien", "select seat", "hello world", "a/b/c" };

	CHECK(tr_payload_init(&n, 32, 8, 16, 3, 2, 32, 3, err, sizeof(err)) == 0, "%s", err);
	for (int it = 0; it < 200; it++) {
		for (uint32_t b = 0; b < 32; b++) {
			char t[64];
			y[b] = (int)(tr_rand(&seed) & 1);
			w[b] = 1.0f;
			const char *core = y[b] ? bad[tr_rand(&seed) % 4] : good[tr_rand(&seed) % 4];
			int pre = (int)(tr_rand(&seed) % 8);
			int len = snprintf(t, sizeof(t), "q=%.*s%s", pre, "xyzzyxyz", core);
			tr_payload_set(&n, b, (const uint8_t *)t, (uint32_t)len);
		}
		double l = tr_payload_step(&n, y, w);
		tr_adam(&o, n.p, 5);
		if (it < 10)
			first += l / 10;
		if (it >= 190)
			last += l / 10;
	}
	int right = 0;
	for (uint32_t b = 0; b < 32; b++)
		right += (n.probs[b * 2 + 1] > 0.5f) == (y[b] == 1);
	printf("toy payload task: loss %.3f -> %.3f, %d/32 right\n", first, last, right);
	CHECK(last < first / 4, "loss %.3f -> %.3f", first, last);
	CHECK(right >= 30, "%d/32 right", right);
	tr_payload_free(&n);
}

/*
 * Several captures as one data set (validation is two): each starts with
 * empty object tables, and an object's creator (its Location answer) owns
 * it in every capture, whoever names it next. Until 2026-12-06 the second
 * capture's ids were salted and its creation keys could no longer match
 * them, so there the first to name an object owned it: a BOLA probe made
 * its victim the trespasser.
 */
static void
test_captures_keep_owners(void)
{
	const uint32_t res = rte_hash_crc("contracts", 9, MW_OBJECT_RES_SEED);
	const unsigned long long id = 0x1234567890abcdefull;
	const unsigned long long created = mw_object_key(id, res);
	char path[] = "/tmp/mw-test-captureXXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	CHECK(f != NULL, "temporary event log");
	if (f == NULL)
		return;
	/* A creates contract 42, B names it, then A does */
	static const char *const who[3] = { "00000000000000aa", "00000000000000bb", "00000000000000aa" };
	for (int k = 0; k < 3; k++) {
		fprintf(f, "{\"v\":6,\"ts\":%d000000000,\"ts_end\":%d000100000,"
				"\"flow\":{\"src\":\"10.0.0.%d\",\"sport\":4000,\"dst\":\"10.0.1.1\","
				"\"dport\":8080},\"method\":\"%s\",\"path\":\"%s\",\"template\":\"%s\","
				"\"status\":%d,\"trace_kind\":\"none\",\"actor_kind\":\"jwt\","
				"\"actor\":\"%s\"", k + 1, k + 1, k + 1, k ? "GET" : "POST",
				k ? "/contracts/42" : "/contracts", k ? "/contracts/{id}" : "/contracts",
				k ? 200 : 201, who[k]);
		if (k == 0)
			fprintf(f, ",\"created\":\"%016llx\"}\n", created);
		else
			fprintf(f, ",\"object_ids\":[\"%016llx\"]}\n", id);
	}
	fclose(f);
	const char *const ev[2] = { path, path };
	struct tr_data d;
	struct tr_stack s = { 0 };
	char err[256];
	int rc = tr_load_many(&d, 2, ev, NULL, err, sizeof(err));
	CHECK(rc == 0, "two captures load: %s", rc ? err : "");
	if (rc == 0) {
		CHECK(d.n == 6 && d.n_captures == 2, "6 calls in 2 captures (%zu, %u)", d.n,
				d.n_captures);
		rc = tr_stack_payload(&s, &d, NULL, err, sizeof(err));
		rc = rc ? rc : tr_stack_trace(&s, &d, NULL, err, sizeof(err));
		CHECK(rc == 0, "features: %s", rc ? err : "");
		for (int c = 0; rc == 0 && c < 2; c++) {
			const float *x = s.xc + (size_t)(3 * c) * MW_CALL_NFEAT;
			CHECK(x[1 * MW_CALL_NFEAT + MW_CF_foreign_object] == 1.0f,
					"capture %d: the prober names another's object", c + 1);
			CHECK(x[2 * MW_CALL_NFEAT + MW_CF_foreign_object] == 0.0f,
					"capture %d: the creator names its own", c + 1);
		}
		tr_stack_free(&s);
		tr_free(&d);
	}
	const char *const many[TR_MAX_CAPTURES + 1] = { 0 };
	CHECK(tr_load_many(&d, TR_MAX_CAPTURES + 1, many, NULL, err, sizeof(err)) < 0,
			"more captures than TR_MAX_CAPTURES are refused");
	unlink(path);
}

/* A batch the model fits exactly (probabilities that round to 1, or a
 * hair over) has a loss of 0, never below: a negative loss is how a
 * failed oneDNN step is reported, and five captures' trace model once
 * ended its last epoch on one. */
static void
test_loss_of_a_perfect_fit(void)
{
	const float probs[] = { 1.0f, 0.0f, 0.0f, 1.0000001f, 0.0f, 1.0f };
	const int y[] = { 0, 1, 1 };
	const float w[] = { 1.0f, 2.0f, 1.0f };
	float d[6];

	double l = tr_xent(probs, y, w, 3, 2, d);
	CHECK(l >= 0.0 && l < 1e-9, "perfect fit: loss %g", l);
}

int
main(void)
{
	omp_set_num_threads(1);
	test_payload_gradients();
	test_gru_gradients();
	test_payload_learns();
	test_captures_keep_owners();
	test_loss_of_a_perfect_fit();
	printf("%d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
