/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Weighted context-free grammars for meshwatch-gen.
 *
 * Attack payloads and tricky benign text are written as grammars in data files
 * (perf/gen/grammar/NAME.g, syntax in perf/gen/grammar/README.md), not as lists,
 * so one file yields many thousands of distinct strings. Loading validates the
 * whole file and reports file:line for every error; expansion never fails: it
 * is bounded in depth and output length and truncates cleanly.
 */
#ifndef GEN_GRAMMAR_H
#define GEN_GRAMMAR_H

#include <stddef.h>

#include "rng.h"

struct grammar;

/* How `i"..."` literals (case-insensitive keywords) are written. */
enum gcase {
	GCASE_ASIS,	/* as written */
	GCASE_UPPER,
	GCASE_RANDOM,	/* each letter flipped with p=0.5: "SeLeCt" */
};

/* Returns NULL and fills err (file:line: reason) on any error. */
struct grammar *grammar_load(const char *path, char *err, size_t errlen);
void grammar_free(struct grammar *g);

/* Index of a rule, or -1 when the grammar has none by that name. */
int grammar_rule(const struct grammar *g, const char *name);

/*
 * Expands rule into out (NUL-terminated, at most cap-1 bytes; the result may
 * contain NUL bytes written by "\0" escapes, hence the returned length).
 */
size_t grammar_expand(const struct grammar *g, int rule, struct rng *r,
		enum gcase cs, char *out, size_t cap);

/* Convenience: expand a rule by name into a static-lifetime-free buffer. */
size_t grammar_expand_name(const struct grammar *g, const char *name,
		struct rng *r, enum gcase cs, char *out, size_t cap);

#endif /* GEN_GRAMMAR_H */
