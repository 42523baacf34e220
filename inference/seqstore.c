/* SPDX-License-Identifier: BSD-3-Clause */
/* The sequence store (see seqstore.h). */
#include <stdio.h>
#include <string.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

#include "seqstore.h"

struct seq_store *
seq_store_create(const char *name, uint32_t key_len, uint32_t capacity, uint32_t entry_size,
		uint32_t H, int socket)
{
	struct seq_store *s = rte_zmalloc_socket("seq_store", sizeof(*s), RTE_CACHE_LINE_SIZE,
			socket);
	struct rte_hash_parameters hp = {
		.name = name,
		.entries = capacity,
		.key_len = key_len,
		.hash_func = rte_hash_crc,
		.socket_id = socket,
		/* buckets that overflow chain into an extra table: every one
		 * of `capacity` keys fits, whatever their hashes */
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};

	if (s == NULL)
		return NULL;
	s->capacity = capacity;
	s->key_len = key_len;
	s->entry_size = RTE_ALIGN_CEIL(entry_size, 8);
	s->H = H;
	s->head = s->tail = SEQ_NIL;
	s->h = rte_hash_create(&hp);
	/* zeroed here: every page is placed (and faulted in) at start, not
	 * on the hot path */
	s->slot = rte_zmalloc_socket("seq_slot", (size_t)capacity * sizeof(*s->slot),
			RTE_CACHE_LINE_SIZE, socket);
	s->entries = rte_zmalloc_socket("seq_entries", (size_t)capacity * s->entry_size,
			RTE_CACHE_LINE_SIZE, socket);
	s->state = rte_zmalloc_socket("seq_state", (size_t)capacity * H * sizeof(float),
			RTE_CACHE_LINE_SIZE, socket);
	s->keys = rte_zmalloc_socket("seq_keys", (size_t)capacity * key_len, RTE_CACHE_LINE_SIZE,
			socket);
	if (s->h == NULL || s->slot == NULL || s->entries == NULL || s->state == NULL ||
			s->keys == NULL) {
		seq_store_free(s);
		return NULL;
	}
	/* what the hash itself holds per key: its key slot (key, data
	 * pointer) and a share of the buckets (8 entries of 8 bytes) */
	s->bytes = (uint64_t)capacity * (sizeof(*s->slot) + s->entry_size + H * sizeof(float) +
			key_len + key_len + 8 + 8 + 8);
	return s;
}

void
seq_store_free(struct seq_store *s)
{
	if (s == NULL)
		return;
	rte_hash_free(s->h);
	rte_free(s->slot);
	rte_free(s->entries);
	rte_free(s->state);
	rte_free(s->keys);
	rte_free(s);
}

static void
unlink_slot(struct seq_store *s, uint32_t i)
{
	struct seq_slot *e = &s->slot[i];

	if (e->prev != SEQ_NIL)
		s->slot[e->prev].next = e->next;
	else
		s->head = e->next;
	if (e->next != SEQ_NIL)
		s->slot[e->next].prev = e->prev;
	else
		s->tail = e->prev;
}

static void
append_slot(struct seq_store *s, uint32_t i, uint64_t now_ns)
{
	struct seq_slot *e = &s->slot[i];

	e->last_ns = now_ns;
	e->next = SEQ_NIL;
	e->prev = s->tail;
	if (s->tail != SEQ_NIL)
		s->slot[s->tail].next = i;
	else
		s->head = i;
	s->tail = i;
}

int32_t
seq_find(struct seq_store *s, const void *key)
{
	int32_t i = rte_hash_lookup(s->h, key);

	return i < 0 ? -1 : i;
}

int32_t
seq_add(struct seq_store *s, const void *key, uint64_t now_ns)
{
	if (s->used >= s->capacity)
		return -1;
	int32_t i = rte_hash_add_key(s->h, key);
	if (i < 0 || (uint32_t)i >= s->capacity)
		return -1;
	s->used++;
	memset(seq_entry(s, (uint32_t)i), 0, s->entry_size);
	memset(seq_state(s, (uint32_t)i), 0, s->H * sizeof(float));
	memcpy(s->keys + (uint64_t)i * s->key_len, key, s->key_len);
	append_slot(s, (uint32_t)i, now_ns);
	return i;
}

void
seq_touch(struct seq_store *s, uint32_t i, uint64_t now_ns)
{
	if (s->tail == i) {
		s->slot[i].last_ns = now_ns;
		return;
	}
	unlink_slot(s, i);
	append_slot(s, i, now_ns);
}

void
seq_del(struct seq_store *s, uint32_t i)
{
	unlink_slot(s, i);
	rte_hash_del_key(s->h, seq_key(s, i));
	s->used--;
}
