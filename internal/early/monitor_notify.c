/*
 * The sd_notify proxy of --sdnotify=container (podman's default when engine
 * runs under systemd with Type=notify): the container gets a datagram socket
 * of its own at /run/notify/notify.sock (engine bind-mounts the run dir's
 * notify/ there and sets NOTIFY_SOCKET), and the monitor forwards what the
 * container's process sends (READY=1, STATUS=..., ...) to the host's
 * NOTIFY_SOCKET. MAINPID is engine's to set (the monitor's pid, sent when the
 * container starts), so a MAINPID= line from the container is dropped, as a
 * pid in the container's pid namespace means nothing to systemd.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "monitor.h"

#define NOTIFY_PROXY "notify/notify.sock" /* relative to run_dir, the cwd */
#define NOTIFY_MAX 4096

/* sockaddr for a NOTIFY_SOCKET value: a path, or "@name" for an abstract one. */
static int notify_addr(const char *path, struct sockaddr_un *a, socklen_t *len)
{
	size_t n = strlen(path);

	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (n == 0 || n >= sizeof(a->sun_path))
		return -1;
	memcpy(a->sun_path, path, n);
	if (path[0] == '@')
		a->sun_path[0] = '\0';
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (path[0] == '@' ? 0 : 1));
	return 0;
}

int mon_notify_open(void)
{
	struct sockaddr_un a;
	socklen_t len;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	unlink(NOTIFY_PROXY);
	if (notify_addr(NOTIFY_PROXY, &a, &len) < 0 || bind(fd, (struct sockaddr *)&a, len) < 0 ||
	    chmod(NOTIFY_PROXY, 0777) < 0) { /* any user of the container may notify */
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

void mon_notify_forward(int fd, const char *host_socket)
{
	char in[NOTIFY_MAX + 1], out[NOTIFY_MAX + 1];
	struct sockaddr_un a;
	socklen_t len;

	for (;;) {
		ssize_t n = recv(fd, in, NOTIFY_MAX, 0);
		size_t used = 0;
		char *line, *next;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* EAGAIN: all read */
		in[n] = '\0';
		for (line = in; line != NULL && *line != '\0'; line = next) {
			size_t l;

			next = strchr(line, '\n');
			if (next != NULL)
				*next++ = '\0';
			l = strlen(line);
			if (l == 0 || strncmp(line, "MAINPID=", 8) == 0)
				continue;
			if (used > 0)
				out[used++] = '\n';
			memcpy(out + used, line, l);
			used += l;
		}
		if (used > 0 && notify_addr(host_socket, &a, &len) == 0)
			(void)sendto(fd, out, used, MSG_NOSIGNAL, (struct sockaddr *)&a, len);
	}
}
