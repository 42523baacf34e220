/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The sequence store: per-key state of one sequence level (traces or actors)
 * on one inference lcore. An rte_hash maps the key to its slot (the hash's
 * own key index: no second allocator); a slot holds the caller's entry
 * (entry_size bytes) and the GRU's hidden state (H floats), both in arrays
 * preallocated on the lcore's NUMA node.
 *
 * Every key sits on one LRU list ordered by its last update in event time,
 * so aging pops the head only, and a full store names its least recently
 * used key for the caller to end (a trace still owes its actor a summary).
 *
 * Hot path except create/free. Single-threaded: the owning lcore only.
 */
#ifndef INF_SEQSTORE_H
#define INF_SEQSTORE_H

#include <stdint.h>

#define SEQ_NIL UINT32_MAX

struct rte_hash;

struct seq_slot {
	uint64_t last_ns;	/* event time of the last update */
	uint32_t prev, next;	/* LRU, oldest first */
};

struct seq_store {
	struct rte_hash *h;
	uint32_t capacity, key_len, entry_size, H;
	uint32_t head, tail, used;
	struct seq_slot *slot;
	uint8_t *entries;	/* capacity x entry_size */
	float *state;		/* capacity x H */
	uint8_t *keys;		/* capacity x key_len: the key of each slot */
	uint64_t bytes;		/* everything above */
};

struct seq_store *seq_store_create(const char *name, uint32_t key_len, uint32_t capacity,
		uint32_t entry_size, uint32_t H, int socket);
void seq_store_free(struct seq_store *s);

/* The key's slot, or -1 if it has none. */
int32_t seq_find(struct seq_store *s, const void *key);

/* A new slot for key (entry and state zeroed), most recently used; -1 when
 * the store is full (end seq_oldest() first). */
int32_t seq_add(struct seq_store *s, const void *key, uint64_t now_ns);

/* Marks the slot used at now_ns (moves it to the LRU tail). */
void seq_touch(struct seq_store *s, uint32_t slot, uint64_t now_ns);

void seq_del(struct seq_store *s, uint32_t slot);

/* The least recently used slot, or SEQ_NIL when empty. */
static inline uint32_t
seq_oldest(const struct seq_store *s)
{
	return s->head;
}

static inline void *
seq_entry(const struct seq_store *s, uint32_t slot)
{
	return s->entries + (uint64_t)slot * s->entry_size;
}

static inline float *
seq_state(const struct seq_store *s, uint32_t slot)
{
	return s->state + (uint64_t)slot * s->H;
}

static inline const void *
seq_key(const struct seq_store *s, uint32_t slot)
{
	return s->keys + (uint64_t)slot * s->key_len;
}

#endif
