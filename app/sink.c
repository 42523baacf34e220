/* SPDX-License-Identifier: BSD-3-Clause */
/* Alert sinks besides the alert log, and log reopening (control path). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <rte_cycles.h>

#include "sink.h"

/* A stream socket if the collector listens on one, else a datagram one. */
static int
sock_connect(struct out_sock *s)
{
	static const int types[] = { SOCK_STREAM, SOCK_DGRAM };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", s->path);
	for (unsigned int i = 0; i < 2; i++) {
		int fd = socket(AF_UNIX, types[i] | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			s->fd = fd;
			s->type = types[i];
			s->n_pending = 0;
			return 0;
		}
		int e = errno;
		close(fd);
		if (e != EPROTOTYPE)
			return -1;
	}
	return -1;
}

int
sink_sock_init(struct out_sock *s, const char *path)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (path == NULL || !path[0])
		return 0;
	if (strlen(path) >= sizeof(s->path))
		return -1;
	snprintf(s->path, sizeof(s->path), "%s", path);
	s->pending = malloc(SINK_PENDING);
	if (s->pending == NULL)
		return -1;
	sock_connect(s);	/* the collector may come later */
	return 0;
}

static void
sock_drop(struct out_sock *s)
{
	close(s->fd);
	s->fd = -1;
	s->n_pending = 0;
	s->retry_tsc = rte_rdtsc() + rte_get_tsc_hz();
}

/* Sends what a stream has pending; 1 when nothing is left. */
static int
sock_flush(struct out_sock *s)
{
	while (s->n_pending) {
		ssize_t k = send(s->fd, s->pending, s->n_pending, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				sock_drop(s);
			return 0;
		}
		memmove(s->pending, s->pending + k, s->n_pending - (size_t)k);
		s->n_pending -= (size_t)k;
	}
	return 1;
}

void
sink_sock_send(struct out_sock *s, const char *line, size_t n)
{
	if (!s->path[0])
		return;
	if (s->fd < 0) {
		if (rte_rdtsc() < s->retry_tsc) {
			s->lost++;
			return;
		}
		if (sock_connect(s) < 0) {
			s->retry_tsc = rte_rdtsc() + rte_get_tsc_hz();
			s->lost++;
			return;
		}
		s->reconnects++;
	}
	if (s->type == SOCK_DGRAM) {
		if (send(s->fd, line, n, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)n) {
			s->sent++;
			return;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			sock_drop(s);
		s->lost++;
		return;
	}
	/* a stream: whole lines only; a line sent in part is finished first */
	if (!sock_flush(s) || n + 1 > SINK_PENDING) {
		s->lost++;
		return;
	}
	ssize_t k = send(s->fd, line, n, MSG_NOSIGNAL | MSG_DONTWAIT | MSG_MORE);
	if (k < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			sock_drop(s);
		s->lost++;
		return;
	}
	memcpy(s->pending, line + k, n - (size_t)k);
	s->pending[n - (size_t)k] = '\n';
	s->n_pending = n - (size_t)k + 1;
	s->sent++;
	sock_flush(s);
}

void
sink_sock_close(struct out_sock *s)
{
	if (s->fd >= 0) {
		/* what is pending gets a last chance, without waiting */
		if (s->type == SOCK_STREAM)
			sock_flush(s);
		if (s->fd >= 0)
			close(s->fd);
	}
	free(s->pending);
	s->pending = NULL;
	s->fd = -1;
}

int
sink_syslog_facility(const char *name)
{
	static const struct { const char *name; int facility; } f[] = {
		{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 }, { "local2", LOG_LOCAL2 },
		{ "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
		{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 }, { "daemon", LOG_DAEMON },
		{ "user", LOG_USER }, { "security", LOG_AUTH }, { "auth", LOG_AUTH },
	};

	for (unsigned int i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strcmp(name, f[i].name) == 0)
			return f[i].facility;
	return -1;
}

FILE *
sink_open(const char *path, size_t bufsize)
{
	FILE *f = fopen(path, "a");	/* a restart never truncates what was seen */

	if (f != NULL && bufsize)
		setvbuf(f, NULL, _IOFBF, bufsize);
	return f;
}

int
sink_reopen(FILE **f, const char *path, size_t bufsize, const char *key, FILE *err)
{
	if (*f == NULL || *f == stdout || !path[0] || strcmp(path, "-") == 0)
		return 0;
	FILE *n = sink_open(path, bufsize);
	if (n == NULL) {
		fprintf(err, "%s: cannot reopen \"%s\": %s; still writing to the old file\n", key,
				path, strerror(errno));
		return -1;
	}
	int rc = 0;
	if (fclose(*f) == EOF) {
		fprintf(err, "%s: closing the old file failed: %s; what it still held is lost\n",
				key, strerror(errno));
		rc = 1;
	}
	*f = n;
	return rc;
}
