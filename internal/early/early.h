/*
 * Shared declarations of the code that runs in a constructor before the Go
 * runtime starts (see early.go for the overview).
 */
#ifndef ENGINE_EARLY_H
#define ENGINE_EARLY_H

#include <stddef.h>
#include <sys/types.h>

/* Entry point, called from the constructor in early.go's preamble. */
void engine_early_init(void);

/* Job 1: the per-container monitor. Never returns. */
void engine_monitor_main(const char *config_path) __attribute__((noreturn));

/* Job 2: rootless user namespace (join or create the pause process). */
void engine_rootless_setup(void);

/* util.c */
int early_write_all(int fd, const void *buf, size_t len);
int early_write_file_atomic(const char *path, const char *data, size_t len);
char *early_read_file(const char *path, size_t *len_out);
void early_close_fds_from(unsigned int lowfd);
void early_close_fds_except(unsigned int lowfd, int keep);
int early_move_fd_above(int fd, int min);
int early_stdio_to_devnull(void);
void early_reset_signals(void);
long long early_now_ns(void);
char *early_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
