/* Internal declarations of the container monitor (job 1). */
#ifndef ENGINE_MONITOR_H
#define ENGINE_MONITOR_H

#include <stddef.h>

enum mon_restart {
	RESTART_NO,
	RESTART_ALWAYS,
	RESTART_ON_FAILURE,
	RESTART_UNLESS_STOPPED,
};

/* The parsed config file; see MonitorConfig in early.go for the format. */
struct mon_config {
	char *id;
	char *run_dir;
	char *log_path; /* NULL or "": no log file */
	long long log_max_size;
	int log_max_files;
	int tty;
	int stdin_open;
	char **create_argv; /* NULL-terminated */
	size_t create_argc;
	char **cleanup_argv; /* NULL-terminated */
	size_t cleanup_argc;
	enum mon_restart restart;
	int restart_max;
	int sync_fd;
	char *notify_socket; /* NULL or "": no sd_notify proxy (see notify_open) */
};

/* 0 on success; on failure -1 and a message in err. cfg->sync_fd is set as
 * soon as it is parsed, so errors after it can still be reported there. */
int mon_config_load(const char *path, struct mon_config *cfg, char *err, size_t errlen);

/* The docker json-file log. */
struct mon_log {
	int fd;
	char *path;
	long long max_size;
	int max_files;
	long long size; /* bytes in the current file */
	char *buf;      /* records of one chunk, written with as few write()s as possible */
	size_t used;
};

#define MON_STREAM_STDOUT 1
#define MON_STREAM_STDERR 2

int mon_log_open(struct mon_log *l, const char *path, long long max_size, int max_files);
void mon_log_write(struct mon_log *l, int stream, const char *data, size_t len);

/* The sd_notify proxy (monitor_notify.c): the bound socket, or -1 and errno;
 * forwarding reads every queued datagram. */
int mon_notify_open(void);
void mon_notify_forward(int fd, const char *host_socket);

#endif
