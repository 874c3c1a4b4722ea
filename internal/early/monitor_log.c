/*
 * Container output in docker's json-file format, one object per line:
 *   {"log":"hello\n","stream":"stdout","time":"2026-11-23T09:14:02.123456789Z"}
 * Each line of output (with its '\n') is one record; a read that ends without
 * a newline gives a record without one (docker does the same for partial
 * reads). Rotation is by size with log_max_files files in all.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "early.h"
#include "monitor.h"

/* Worst case of one record: every byte escaped to \u00XX plus the frame. */
#define LOG_CHUNK_MAX 8192
#define RECORD_OVERHEAD 128
#define LOGBUF_CAP (6 * LOG_CHUNK_MAX + RECORD_OVERHEAD)

static int log_reopen(struct mon_log *l)
{
	struct stat st;

	l->fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (l->fd < 0)
		return -1;
	l->size = fstat(l->fd, &st) == 0 ? st.st_size : 0;
	return 0;
}

int mon_log_open(struct mon_log *l, const char *path, long long max_size, int max_files)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	if (path == NULL || path[0] == '\0')
		return 0; /* no log wanted */
	l->path = strdup(path);
	l->max_size = max_size;
	l->max_files = max_files < 1 ? 1 : max_files;
	if (l->path == NULL)
		return -1;
	return log_reopen(l);
}

/*
 * log -> log.1 -> ... -> log.(max_files-1); the oldest falls off. With one
 * file the log is truncated in place. Errors (the directory went away) only
 * cost log lines, never the container.
 */
static void log_rotate(struct mon_log *l)
{
	if (l->max_files <= 1) {
		if (ftruncate(l->fd, 0) == 0)
			l->size = 0;
		return;
	}
	for (int i = l->max_files - 1; i >= 1; i--) {
		char *from = i == 1 ? early_strdup_printf("%s", l->path)
				    : early_strdup_printf("%s.%d", l->path, i - 1);
		char *to = early_strdup_printf("%s.%d", l->path, i);
		if (from != NULL && to != NULL)
			rename(from, to);
		free(from);
		free(to);
	}
	close(l->fd);
	if (log_reopen(l) < 0)
		l->fd = -1;
}

static void log_flush(struct mon_log *l)
{
	if (l->used == 0)
		return;
	if (l->fd >= 0 && early_write_all(l->fd, l->buf, l->used) == 0)
		l->size += (long long)l->used;
	l->used = 0;
}

static const char hexdigits[] = "0123456789abcdef";

/* JSON string body; UTF-8 (valid or not) passes through byte for byte. */
static size_t json_escape(char *dst, const char *src, size_t n)
{
	char *d = dst;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)src[i];
		switch (c) {
		case '"':  *d++ = '\\'; *d++ = '"'; break;
		case '\\': *d++ = '\\'; *d++ = '\\'; break;
		case '\n': *d++ = '\\'; *d++ = 'n'; break;
		case '\r': *d++ = '\\'; *d++ = 'r'; break;
		case '\t': *d++ = '\\'; *d++ = 't'; break;
		default:
			if (c < 0x20) {
				memcpy(d, "\\u00", 4);
				d[4] = hexdigits[c >> 4];
				d[5] = hexdigits[c & 15];
				d += 6;
			} else {
				*d++ = (char)c;
			}
		}
	}
	return (size_t)(d - dst);
}

/* RFC 3339 with nanoseconds in UTC, as docker writes it. */
static void format_time(char *out, size_t outlen)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	snprintf(out, outlen, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec);
}

static void log_record(struct mon_log *l, const char *stream, const char *time,
		       const char *line, size_t len)
{
	char *rec;
	size_t n;

	if (l->used + 6 * len + RECORD_OVERHEAD > LOGBUF_CAP)
		log_flush(l);
	rec = l->buf + l->used;
	n = 0;
	memcpy(rec, "{\"log\":\"", 8);
	n += 8;
	n += json_escape(rec + n, line, len);
	n += (size_t)snprintf(rec + n, RECORD_OVERHEAD - 8, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n",
			      stream, time);

	/* Rotate before the record that would make the file exceed max_size. */
	if (l->max_size > 0 && l->size + (long long)(l->used + n) > l->max_size &&
	    l->size + (long long)l->used > 0) {
		log_flush(l);
		memmove(l->buf, rec, n);
		if (l->fd >= 0)
			log_rotate(l);
	}
	l->used += n;
}

void mon_log_write(struct mon_log *l, int stream, const char *data, size_t len)
{
	const char *name = stream == MON_STREAM_STDERR ? "stderr" : "stdout";
	char time[96]; /* 30 used; room for any int the compiler imagines */

	if (l->path == NULL)
		return;
	if (l->fd < 0 && log_reopen(l) < 0)
		return;
	if (l->buf == NULL) {
		/* Allocated on first output: an idle container costs nothing. */
		l->buf = malloc(LOGBUF_CAP);
		if (l->buf == NULL)
			return;
	}
	if (len > LOG_CHUNK_MAX)
		len = LOG_CHUNK_MAX; /* callers read at most 8 KiB at a time */
	format_time(time, sizeof(time));
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl != NULL ? (size_t)(nl - data) + 1 : len;
		log_record(l, name, time, data, n);
		data += n;
		len -= n;
	}
	log_flush(l);
}
