/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Where alert lines go besides the alert log (control path, main lcore):
 * a Unix socket a collector listens on, and syslog. Neither may stall the
 * main lcore for long: the socket never blocks (what it cannot take is
 * counted, and it reconnects once a second), and syslog is the local
 * daemon's datagram socket.
 */
#ifndef APP_SINK_H
#define APP_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SINK_PENDING (1u << 20)	/* a stream socket's unsent tail, at most */

struct out_sock {
	int fd;			/* -1: not connected */
	int type;		/* SOCK_STREAM or SOCK_DGRAM, found at connect */
	char path[108];		/* "" none */
	uint64_t retry_tsc;	/* no connect before this */
	char *pending;		/* stream: bytes of lines sent in part */
	size_t n_pending;
	uint64_t sent, lost, reconnects;
};

/* Sets up the socket sink for path ("" none); connects now if it can. */
int sink_sock_init(struct out_sock *s, const char *path);
/* Sends one line (no newline; a stream gets one added) or counts it lost. */
void sink_sock_send(struct out_sock *s, const char *line, size_t n);
void sink_sock_close(struct out_sock *s);

/* "local0".."local7", "daemon", "user": the syslog facility; -1 unknown. */
int sink_syslog_facility(const char *name);

/* Opens a log for appending, with a buffer of bufsize (0: stdio's). */
FILE *sink_open(const char *path, size_t bufsize);

/* Reopens *f at path for appending (logrotate moved it away); on failure
 * the old stream stays, so nothing is lost, and the reason goes to err
 * (-1). 1: reopened, but what the old stream held could not be written. */
int sink_reopen(FILE **f, const char *path, size_t bufsize, const char *key, FILE *err);

#endif
