/*
 * Parser of the monitor's config file: `key=value` lines, the value runs to
 * the end of the line (no quoting, so values cannot contain a newline), keys
 * may repeat (create_arg, cleanup_arg), unknown keys are ignored so an older
 * monitor can read a newer file. Written by MonitorConfig.Write in early.go.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "early.h"
#include "monitor.h"

static int parse_ll(const char *s, long long *out)
{
	char *end;

	if (*s == '\0')
		return -1;
	errno = 0;
	*out = strtoll(s, &end, 10);
	return (errno != 0 || *end != '\0') ? -1 : 0;
}

static int parse_int(const char *s, int *out)
{
	long long v;

	if (parse_ll(s, &v) < 0 || v < INT_MIN || v > INT_MAX)
		return -1;
	*out = (int)v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0)
		*out = 1;
	else if (strcmp(s, "0") == 0 || strcmp(s, "false") == 0 || *s == '\0')
		*out = 0;
	else
		return -1;
	return 0;
}

static int parse_restart(const char *s, enum mon_restart *out)
{
	if (*s == '\0' || strcmp(s, "no") == 0)
		*out = RESTART_NO;
	else if (strcmp(s, "always") == 0)
		*out = RESTART_ALWAYS;
	else if (strcmp(s, "on-failure") == 0)
		*out = RESTART_ON_FAILURE;
	else if (strcmp(s, "unless-stopped") == 0)
		*out = RESTART_UNLESS_STOPPED;
	else
		return -1;
	return 0;
}

/* Append to a NULL-terminated argv; the strings point into the file buffer. */
static int argv_push(char ***argv, size_t *argc, char *s)
{
	char **nv = realloc(*argv, (*argc + 2) * sizeof(char *));

	if (nv == NULL)
		return -1;
	nv[(*argc)++] = s;
	nv[*argc] = NULL;
	*argv = nv;
	return 0;
}

static int apply(struct mon_config *c, const char *key, char *val)
{
	if (strcmp(key, "id") == 0)
		c->id = val;
	else if (strcmp(key, "run_dir") == 0)
		c->run_dir = val;
	else if (strcmp(key, "log_path") == 0)
		c->log_path = val;
	else if (strcmp(key, "log_max_size") == 0)
		return parse_ll(val, &c->log_max_size);
	else if (strcmp(key, "log_max_files") == 0)
		return parse_int(val, &c->log_max_files);
	else if (strcmp(key, "tty") == 0)
		return parse_bool(val, &c->tty);
	else if (strcmp(key, "stdin") == 0)
		return parse_bool(val, &c->stdin_open);
	else if (strcmp(key, "create_arg") == 0)
		return argv_push(&c->create_argv, &c->create_argc, val);
	else if (strcmp(key, "cleanup_arg") == 0)
		return argv_push(&c->cleanup_argv, &c->cleanup_argc, val);
	else if (strcmp(key, "restart") == 0)
		return parse_restart(val, &c->restart);
	else if (strcmp(key, "restart_max") == 0)
		return parse_int(val, &c->restart_max);
	else if (strcmp(key, "sync_fd") == 0)
		return parse_int(val, &c->sync_fd);
	else if (strcmp(key, "notify_socket") == 0)
		c->notify_socket = val;
	return 0;
}

int mon_config_load(const char *path, struct mon_config *c, char *err, size_t errlen)
{
	char *buf, *line, *next;

	memset(c, 0, sizeof(*c));
	c->log_max_files = 1;
	c->sync_fd = -1;

	/* The buffer is never freed: the config's strings point into it. */
	buf = early_read_file(path, NULL);
	if (buf == NULL) {
		snprintf(err, errlen, "read config %s: %s", path, strerror(errno));
		return -1;
	}
	for (line = buf; line != NULL && *line != '\0'; line = next) {
		char *eq;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (*line == '\0' || *line == '#')
			continue;
		eq = strchr(line, '=');
		if (eq == NULL) {
			snprintf(err, errlen, "config: line without '=': %.80s", line);
			return -1;
		}
		*eq = '\0';
		if (apply(c, line, eq + 1) < 0) {
			snprintf(err, errlen, "config: bad value for %s: %.80s", line, eq + 1);
			return -1;
		}
	}
	if (c->run_dir == NULL || c->run_dir[0] == '\0') {
		snprintf(err, errlen, "config: run_dir is missing");
		return -1;
	}
	if (c->create_argc == 0) {
		snprintf(err, errlen, "config: create_arg is missing");
		return -1;
	}
	if (c->log_max_files < 1)
		c->log_max_files = 1;
	if (c->log_max_size < 0)
		c->log_max_size = 0;
	if (c->restart_max < 0)
		c->restart_max = 0;
	return 0;
}
