/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Traffic classes, as written in the label files. One X-macro list so the
 * enum, the names and the "payload or behavioral" split never drift apart.
 * The names are the contract with meshwatch-train and meshwatch-eval.
 */
#ifndef GEN_CLASSES_H
#define GEN_CLASSES_H

/* X(ENUM, "name", payload, default session rate) */
#define GEN_CLASSES(X) \
	X(BENIGN, "benign", 0, 0.0) \
	X(SQLI, "sqli", 1, 0.003) \
	X(XSS, "xss", 1, 0.003) \
	X(CMDI, "cmdi", 1, 0.003) \
	X(TRAVERSAL, "traversal", 1, 0.003) \
	X(SSRF, "ssrf", 1, 0.003) \
	X(JNDI, "jndi", 1, 0.002) \
	X(SSTI, "ssti", 1, 0.002) \
	X(NOSQLI, "nosqli", 1, 0.002) \
	X(BOLA, "bola", 0, 0.003) \
	X(BFLA, "bfla", 0, 0.002) \
	X(MASS_ASSIGNMENT, "mass_assignment", 0, 0.002) \
	X(BROKEN_AUTH, "broken_auth", 0, 0.002) \
	X(CREDENTIAL_STUFFING, "credential_stuffing", 0, 0.002) \
	X(SCRAPING, "scraping", 0, 0.002) \
	X(EXFILTRATION, "exfiltration", 0, 0.002) \
	X(CHAIN, "chain", 0, 0.001)

enum cls {
#define X(e, n, p, r) CLS_##e,
	GEN_CLASSES(X)
#undef X
	CLS_N
};

extern const char *const cls_names[CLS_N];
extern const int cls_payload[CLS_N];
extern const double cls_default_rate[CLS_N];

int cls_from_name(const char *s);

#endif /* GEN_CLASSES_H */
