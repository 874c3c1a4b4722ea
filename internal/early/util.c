/*
 * Small helpers shared by the monitor and the rootless setup. They only use
 * libc and never stdio FILEs: both jobs run before the Go runtime and must not
 * leave buffered state behind (the monitor never flushes, the CLI continues
 * into Go).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "early.h"

/* Write everything, retrying short writes and EINTR. 0 on success. */
int early_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Replace path with data through path.tmp + rename, so a reader sees either
 * the old or the new content, never a partial one.
 */
int early_write_file_atomic(const char *path, const char *data, size_t len)
{
	char *tmp = early_strdup_printf("%s.tmp", path);
	int fd, saved;

	if (tmp == NULL)
		return -1;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		goto fail;
	if (early_write_all(fd, data, len) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		goto fail_unlink;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0)
		goto fail_unlink;
	free(tmp);
	return 0;

fail_unlink:
	saved = errno;
	unlink(tmp);
	errno = saved;
fail:
	saved = errno;
	free(tmp);
	errno = saved;
	return -1;
}

/* Read a whole (small) file, NUL-terminated. NULL with errno on failure. */
char *early_read_file(const char *path, size_t *len_out)
{
	size_t cap = 1024, len = 0;
	char *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	for (;;) {
		if (buf == NULL || len + 1 >= cap) {
			char *nb = realloc(buf, buf == NULL ? cap : cap * 2);
			if (nb == NULL)
				goto fail;
			if (buf != NULL)
				cap *= 2;
			buf = nb;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (len_out != NULL)
		*len_out = len;
	return buf;

fail: {
	int saved = errno;
	close(fd);
	free(buf);
	errno = saved;
	return NULL;
}
}

static void close_range_fallback(unsigned int lo, unsigned int hi)
{
	struct rlimit rl;
	unsigned int max = 65536;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < max)
		max = (unsigned int)rl.rlim_cur;
	if (hi >= max)
		hi = max - 1;
	for (unsigned int fd = lo; fd <= hi && fd < max; fd++)
		close((int)fd);
}

static void close_range_compat(unsigned int lo, unsigned int hi)
{
	if (lo > hi)
		return;
	/* close_range(2) is Linux 5.9; the loop covers older kernels. */
	if (syscall(SYS_close_range, lo, hi, 0) < 0)
		close_range_fallback(lo, hi);
}

/* Close every fd >= lowfd. */
void early_close_fds_from(unsigned int lowfd)
{
	close_range_compat(lowfd, ~0U);
}

/* Close every fd >= lowfd except keep (keep < 0: none kept). */
void early_close_fds_except(unsigned int lowfd, int keep)
{
	if (keep < 0 || (unsigned int)keep < lowfd) {
		close_range_compat(lowfd, ~0U);
		return;
	}
	if ((unsigned int)keep > lowfd)
		close_range_compat(lowfd, (unsigned int)keep - 1);
	close_range_compat((unsigned int)keep + 1, ~0U);
}

/* Move fd to a number >= min (close-on-exec); returns the new fd. */
int early_move_fd_above(int fd, int min)
{
	int nfd;

	if (fd >= min)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, min);
	if (nfd < 0)
		return -1;
	close(fd);
	return nfd;
}

/* Point fds 0, 1, 2 at /dev/null. */
int early_stdio_to_devnull(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (fd != i && dup2(fd, i) < 0) {
			int saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
	}
	if (fd > 2)
		close(fd);
	else
		fcntl(fd, F_SETFD, 0); /* it is one of 0-2 now: keep it across exec */
	return 0;
}

/*
 * Give a child about to exec default signal handling: blocked masks and
 * ignored dispositions survive execve (the monitor's own, and whatever the
 * launcher had, nohup's SIGHUP say), and a helper or a container with SIGCHLD
 * blocked or SIGPIPE ignored behaves subtly wrong.
 */
void early_reset_signals(void)
{
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL); /* EINVAL for the few reserved ones */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

long long early_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

char *early_strdup_printf(const char *fmt, ...)
{
	va_list ap;
	int n;
	char *s;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	s = malloc((size_t)n + 1);
	if (s == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}
