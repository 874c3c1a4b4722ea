/*
 * Job 1: the per-container monitor (conmon's job), entered from the
 * constructor when _ENGINE_MONITOR names a config file. It runs before the Go
 * runtime exists and never returns to it, so an idle monitor costs about what
 * conmon does: one thread, no large buffers, poll() on a handful of fds.
 *
 * Life of a monitor (files are relative to run_dir, which is the cwd; the
 * absolute path may be longer than a unix socket path allows):
 *   setsid, child subreaper, write monitor.pid, bind the attach socket;
 *   per run: make the container's stdio, fork+exec the create helper (fd 4 =
 *   status pipe, fd 3 = console socket), report its `ok <pid>` / `err ...`
 *   line on sync_fd (first run only), copy output to the log and the attach
 *   clients until the container pid exits, write `exit`, close the clients,
 *   run the cleanup helper with the exit code; restart if the policy says so.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "early.h"
#include "monitor.h"

#define IOBUF_DATA 8192        /* one read of container output */
#define MAX_CLIENTS 64         /* attach connections at once; more are refused */
#define CLIENT_SNDBUF (512 * 1024)
#define CLIENT_STALL_MS 10000  /* a client that takes no data this long is dropped */
#define DRAIN_MAX_MS 2000      /* at exit: time allowed to hand the rest to clients */
#define DRAIN_MAX_BYTES (4 << 20)
#define RESTART_DELAY_MS 100

/* Attach protocol: first byte of every SOCK_SEQPACKET packet. */
#define ATTACH_IN_STDIN 0
#define ATTACH_IN_CLOSE_STDIN 1
#define ATTACH_IN_RESIZE 2
#define ATTACH_IN_CLEANUP 3 /* the client runs the cleanup after the exit */
#define CLEANED_FILE "cleaned" /* the client's cleanup finished (engine writes it) */
#define CLIENT_CLEANUP_MS 60000 /* how long a cleaning client may take */
#define ATTACH_OUT_READY 3 /* sent once a client is accepted: it is getting output */
#define ATTACH_OUT_EXIT 4  /* the container's exit code (decimal), last packet */

#define EXIT_FILE "exit"
#define ATTACH_FILE "attach"
#define STOPPED_FILE "stopped"
#define RESTARTS_FILE "restarts"

struct client {
	int fd;
	int rd_closed;      /* it shut down its sending side: output only */
	char *pending;      /* a packet the client's socket had no room for */
	size_t plen;
	long long since_ms; /* when pending was stored */
	int cleans;         /* it sent ATTACH_IN_CLEANUP */
};

struct monitor {
	struct mon_config cfg;
	struct mon_log log;
	int sigfd;
	int listen_fd;
	int notify_fd; /* the sd_notify proxy's socket, or -1 */
	struct stat rundir_st;

	struct client clients[MAX_CLIENTS];
	int nclients;
	int cur_client; /* the client whose packet is being handled */

	/* One run of the container. */
	int out_fd[2];      /* stdout, stderr read ends (tty: [0] is the pty master) */
	int in_fd;          /* stdin write end or pty master; -1 when closed */
	int console_fd;     /* our end of the console socket until the master arrives */
	int status_fd;      /* read end of the helper's status pipe */
	pid_t helper_pid;
	pid_t container_pid;
	int running;        /* the helper reported ok */
	int done;           /* the run is over (create failed or container exited) */
	int created;        /* the run got as far as a container */
	int exit_code;

	char *in_pending;   /* stdin bytes the container has not taken yet */
	size_t in_plen, in_poff;
	int in_close_pending;

	struct winsize ws;
	int have_ws;
	unsigned char *iobuf; /* 1 stream byte + IOBUF_DATA */
	int restarts;
};

static struct monitor M;

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- reporting -------------------------------------------------------- */

/* One line to the launcher, once; the launcher may be gone (EPIPE ignored). */
static void sync_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sync_report(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if (M.cfg.sync_fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	early_write_all(M.cfg.sync_fd, line, (size_t)n);
	close_fd(&M.cfg.sync_fd);
}

/* Failure before run_dir is usable: no exit file, no cleanup. */
static void __attribute__((noreturn)) fatal_early(const char *what, int err)
{
	char msg[400];

	snprintf(msg, sizeof(msg), "monitor: %s%s%s", what, err ? ": " : "",
		 err ? strerror(err) : "");
	if (M.cfg.sync_fd >= 0)
		sync_report("err 125 %s", msg);
	else
		dprintf(2, "engine: %s\n", msg);
	_exit(125);
}

static void write_exit_file(int code)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "%d %lld\n", code, early_now_ns());

	early_write_file_atomic(EXIT_FILE, buf, (size_t)n);
}

/* ---- child processes ---------------------------------------------------- */

/*
 * In a forked child: make fds 0..n-1 be src[0..n-1] and close the rest.
 * Sources are first moved above every target so dup2 cannot clobber one, and
 * so dup2 always changes the number (a dup2 onto itself would keep
 * close-on-exec set).
 */
static int child_fds(int *src, int n)
{
	for (int i = 0; i < n; i++) {
		src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, n + 10);
		if (src[i] < 0)
			return -1;
	}
	for (int i = 0; i < n; i++)
		if (dup2(src[i], i) < 0)
			return -1;
	early_close_fds_from((unsigned int)n);
	return 0;
}

/* Run the cleanup helper with the exit code appended, and wait for it. */
static void run_cleanup(int code)
{
	char codebuf[16];
	char **argv;
	pid_t pid;
	int st;

	if (M.cfg.cleanup_argc == 0)
		return;
	argv = calloc(M.cfg.cleanup_argc + 2, sizeof(char *));
	if (argv == NULL)
		return;
	memcpy(argv, M.cfg.cleanup_argv, M.cfg.cleanup_argc * sizeof(char *));
	snprintf(codebuf, sizeof(codebuf), "%d", code);
	argv[M.cfg.cleanup_argc] = codebuf;

	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		int fds[3] = { null, null, null };
		if (null < 0 || child_fds(fds, 3) < 0)
			_exit(125);
		early_reset_signals();
		execv(argv[0], argv);
		_exit(127);
	}
	free(argv);
	if (pid < 0)
		return;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
}

/* Exit code of a wait status, docker style. */
static int status_code(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 125;
}

/*
 * Make the container's stdio and start the create helper:
 *   fd 0,1,2  the container's stdin/stdout/stderr (tty: /dev/null)
 *   fd 3      the console socket (tty) or /dev/null
 *   fd 4      the status pipe: the helper writes `ok <pid>` or `err <code> <msg>`
 */
static int spawn_create_helper(char *err, size_t errlen)
{
	int null = -1, in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int cons[2] = { -1, -1 }, status[2] = { -1, -1 };
	pid_t pid;

	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || pipe2(status, O_CLOEXEC) < 0)
		goto fail;
	if (M.cfg.tty) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cons) < 0)
			goto fail;
	} else {
		if (pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0)
			goto fail;
		if (M.cfg.stdin_open && pipe2(in, O_CLOEXEC) < 0)
			goto fail;
	}

	pid = fork();
	if (pid < 0)
		goto fail;
	if (pid == 0) {
		int fds[5];
		fds[0] = M.cfg.tty ? null : (in[0] >= 0 ? in[0] : null);
		fds[1] = M.cfg.tty ? null : out[1];
		fds[2] = M.cfg.tty ? null : errp[1];
		fds[3] = M.cfg.tty ? cons[1] : null;
		fds[4] = status[1];
		if (child_fds(fds, 5) < 0)
			_exit(125);
		early_reset_signals();
		if (M.restarts > 0) {
			/* No CLI will start a restarted container: the helper must. */
			char n[16];
			snprintf(n, sizeof(n), "%d", M.restarts);
			setenv("_ENGINE_RESTART_COUNT", n, 1);
		}
		execv(M.cfg.create_argv[0], M.cfg.create_argv);
		int e = errno;
		dprintf(4, "err %d exec %s: %s\n", e == ENOENT ? 127 : 126,
			M.cfg.create_argv[0], strerror(e));
		_exit(e == ENOENT ? 127 : 126);
	}

	/* Parent: keep our ends, non-blocking so a stuck peer never stalls us. */
	M.helper_pid = pid;
	M.status_fd = status[0];
	close(status[1]);
	close(null);
	if (M.cfg.tty) {
		close(cons[1]);
		M.console_fd = cons[0];
		set_nonblock(M.console_fd);
	} else {
		close(out[1]);
		close(errp[1]);
		M.out_fd[0] = out[0];
		M.out_fd[1] = errp[0];
		set_nonblock(out[0]);
		set_nonblock(errp[0]);
		if (in[0] >= 0) {
			close(in[0]);
			M.in_fd = in[1];
			set_nonblock(in[1]);
		}
	}
	set_nonblock(M.status_fd);
	return 0;

fail:
	snprintf(err, errlen, "monitor: create container stdio: %s", strerror(errno));
	int fds[] = { null, in[0], in[1], out[0], out[1], errp[0], errp[1],
		      cons[0], cons[1], status[0], status[1] };
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return -1;
}

/* ---- attach clients ----------------------------------------------------- */

static void drop_client(int i)
{
	close(M.clients[i].fd);
	free(M.clients[i].pending);
	M.clients[i] = M.clients[--M.nclients];
}

static void drop_all_clients(void)
{
	while (M.nclients > 0)
		drop_client(M.nclients - 1);
}

static int any_client_pending(void)
{
	for (int i = 0; i < M.nclients; i++)
		if (M.clients[i].pending != NULL)
			return 1;
	return 0;
}

static void on_accept(void)
{
	int one = CLIENT_SNDBUF;
	int fd = accept4(M.listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (M.nclients == MAX_CLIENTS) {
		close(fd);
		return;
	}
	/* A bigger send buffer means fewer stalls for a client that reads in bursts. */
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &one, sizeof(one));
	M.clients[M.nclients++] = (struct client){ .fd = fd };
	/*
	 * The client waits for this before it lets the container run: output
	 * goes to accepted clients only, and a connection still in the backlog
	 * when a short-lived container exits would miss everything.
	 */
	unsigned char ready = ATTACH_OUT_READY;
	(void)send(fd, &ready, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Accept every connection waiting in the backlog (the listen fd is non-blocking). */
static void accept_pending(void)
{
	int before;

	do {
		before = M.nclients;
		on_accept();
	} while (M.nclients > before && M.nclients < MAX_CLIENTS);
}

/*
 * Send one packet to every client without blocking. A client whose socket is
 * full keeps the packet as pending; while any client has a pending packet,
 * the monitor stops reading container output (the container blocks on a full
 * pipe, as with docker's attach), but it keeps serving signals, other clients
 * and stdin. A client that takes nothing for CLIENT_STALL_MS is dropped so a
 * stuck client cannot stall the container for ever. The log always gets
 * everything.
 */
static void broadcast(const unsigned char *pkt, size_t len)
{
	for (int i = M.nclients - 1; i >= 0; i--) {
		struct client *c = &M.clients[i];
		if (c->pending != NULL)
			continue; /* never: callers read no output while one is pending */
		if (send(c->fd, pkt, len, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			c->pending = malloc(len);
			if (c->pending != NULL) {
				memcpy(c->pending, pkt, len);
				c->plen = len;
				c->since_ms = now_ms();
				continue;
			}
		}
		drop_client(i);
	}
}

/* Retry a client's pending packet; -1 if the client was dropped. */
static int client_flush(int i)
{
	struct client *c = &M.clients[i];

	if (send(c->fd, c->pending, c->plen, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
		free(c->pending);
		c->pending = NULL;
	} else if (errno != EAGAIN && errno != EWOULDBLOCK) {
		drop_client(i);
		return -1;
	}
	return 0;
}

static void drop_stalled_clients(long long now)
{
	for (int i = M.nclients - 1; i >= 0; i--)
		if (M.clients[i].pending != NULL && now - M.clients[i].since_ms >= CLIENT_STALL_MS)
			drop_client(i);
}

/* ---- container stdio ---------------------------------------------------- */

static void apply_winsize(void)
{
	int master = M.cfg.tty ? (M.in_fd >= 0 ? M.in_fd : M.out_fd[0]) : -1;

	if (master >= 0 && M.have_ws)
		ioctl(master, TIOCSWINSZ, &M.ws);
}

static void stdin_free_pending(void)
{
	free(M.in_pending);
	M.in_pending = NULL;
	M.in_plen = M.in_poff = 0;
}

static void stdin_close_now(void)
{
	stdin_free_pending();
	M.in_close_pending = 0;
	close_fd(&M.in_fd);
}

/* Write what the container takes now; keep the rest for POLLOUT. */
static void stdin_write(const char *data, size_t len)
{
	if (!M.cfg.stdin_open || M.in_fd < 0 || M.in_close_pending || len == 0)
		return;
	while (len > 0) {
		ssize_t n = write(M.in_fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) { /* EPIPE: the container closed its stdin */
			if (M.cfg.tty)
				return; /* keep the master for output and resize */
			stdin_close_now();
			return;
		}
		data += n;
		len -= (size_t)n;
	}
	if (len > 0) {
		M.in_pending = malloc(len);
		if (M.in_pending == NULL)
			return;
		memcpy(M.in_pending, data, len);
		M.in_plen = len;
		M.in_poff = 0;
	}
}

static void on_stdin_writable(void)
{
	char *buf = M.in_pending;
	size_t off = M.in_poff, len = M.in_plen;

	while (off < len) {
		ssize_t n = write(M.in_fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			if (M.cfg.tty)
				stdin_free_pending();
			else
				stdin_close_now();
			return;
		}
		off += (size_t)n;
	}
	M.in_poff = off;
	if (off < len)
		return;
	stdin_free_pending();
	if (M.in_close_pending)
		stdin_close_now();
}

/* Client asked to close stdin: EOF for a pipe, ^D for a terminal. */
static void stdin_close(void)
{
	if (!M.cfg.stdin_open || M.in_fd < 0)
		return;
	if (M.cfg.tty)
		stdin_write("\x04", 1);
	else if (M.in_pending != NULL)
		M.in_close_pending = 1;
	else
		stdin_close_now();
}

static void handle_packet(const unsigned char *p, size_t n)
{
	switch (p[0]) {
	case ATTACH_IN_STDIN:
		stdin_write((const char *)p + 1, n - 1);
		break;
	case ATTACH_IN_CLOSE_STDIN:
		stdin_close();
		break;
	case ATTACH_IN_RESIZE:
		if (n >= 5) {
			unsigned short rows, cols;
			memcpy(&rows, p + 1, 2);
			memcpy(&cols, p + 3, 2);
			M.ws = (struct winsize){ .ws_row = rows, .ws_col = cols };
			M.have_ws = 1;
			apply_winsize();
		}
		break;
	case ATTACH_IN_CLEANUP:
		if (M.cur_client >= 0 && M.cur_client < M.nclients)
			M.clients[M.cur_client].cleans = 1;
		break;
	default:
		break; /* unknown packets are ignored: newer clients, older monitor */
	}
}

/*
 * Receive and handle one packet: 0 (also when there was none), 1 at EOF, -1
 * on error. A packet larger than iobuf (clients should send at most 8 KiB of
 * data, but a bigger one must not be truncated: SOCK_SEQPACKET drops what
 * does not fit) gets a buffer of its own, sized by a MSG_PEEK|MSG_TRUNC recv.
 */
static int client_packet(int fd)
{
	unsigned char *buf = M.iobuf;
	ssize_t n = recv(fd, buf, 1 + IOBUF_DATA, MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n == 0)
		return 1;
	if (n < 0)
		return -1;
	if (n > 1 + IOBUF_DATA) {
		buf = malloc((size_t)n);
		if (buf == NULL)
			return -1;
	}
	n = recv(fd, buf, (size_t)n, MSG_DONTWAIT);
	if (n > 0)
		handle_packet(buf, (size_t)n);
	if (buf != M.iobuf)
		free(buf);
	return n < 0 ? -1 : 0;
}

/* Handle up to a few packets of one client: 0 when done for now, 1 at EOF
 * (the client closed or shut down its sending side), -1 on error. */
static int on_client_input(int i)
{
	M.cur_client = i;
	for (int k = 0; k < 16 && M.in_pending == NULL; k++) {
		int r = client_packet(M.clients[i].fd);
		if (r != 0)
			return r;
	}
	return 0;
}

/* Read one chunk of output; 0 when nothing was there, -1 at EOF. */
static int read_output(int idx)
{
	ssize_t n = read(M.out_fd[idx], M.iobuf + 1, IOBUF_DATA);

	if (n > 0) {
		int stream = idx == 0 ? MON_STREAM_STDOUT : MON_STREAM_STDERR;
		mon_log_write(&M.log, stream, (const char *)M.iobuf + 1, (size_t)n);
		M.iobuf[0] = (unsigned char)stream;
		broadcast(M.iobuf, (size_t)n + 1);
		return (int)n;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	/* EOF, or EIO from a pty master once the last slave fd is closed. */
	close_fd(&M.out_fd[idx]);
	return -1;
}

/*
 * Receive the pty master that runc's libcontainer sends over the console
 * socket (utils.SendFile: the data is the file name, one SCM_RIGHTS fd).
 */
static void on_console(void)
{
	char name[4096];
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { name, sizeof(name) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cbuf, .msg_controllen = sizeof(cbuf) };
	int master = -1;
	ssize_t n;

	n = recvmsg(M.console_fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	for (struct cmsghdr *c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL; c != NULL;
	     c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int)))
			memcpy(&master, CMSG_DATA(c), sizeof(int));
	}
	close_fd(&M.console_fd); /* one message per run, or EOF */
	if (master < 0)
		return;
	set_nonblock(master);
	M.out_fd[0] = master;
	M.in_fd = fcntl(master, F_DUPFD_CLOEXEC, 3);
	apply_winsize();
}

/* ---- the helper and the container --------------------------------------- */

static void fail_run(int code)
{
	M.exit_code = code;
	M.done = 1;
}

/* Read what the helper left in the status pipe; no waiting for EOF: the
 * container may have inherited the write end. */
static void read_status_line(char *line, size_t len)
{
	size_t used = 0;

	line[0] = '\0';
	while (used + 1 < len) {
		ssize_t n = read(M.status_fd, line + used, len - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
	}
	line[used] = '\0';
	line[strcspn(line, "\n")] = '\0';
	close_fd(&M.status_fd);
}

static void container_exited(int st)
{
	M.exit_code = status_code(st);
	M.done = 1;
}

static void on_helper_exit(int st)
{
	char line[512], *msg;
	long pid, code;

	M.helper_pid = 0;
	read_status_line(line, sizeof(line));

	if (sscanf(line, "ok %ld", &pid) == 1 && pid > 0) {
		int cst;
		pid_t r = waitpid((pid_t)pid, &cst, WNOHANG);
		if (r < 0 && errno == ECHILD) {
			/*
			 * Not our child: it is not a descendant, or it exited and
			 * its helper reaped it (a shell helper does). Either way its
			 * exit code is out of reach.
			 */
			sync_report("err 125 container pid %ld is not a child of the monitor "
				    "(gone, or reaped by the create helper)", pid);
			fail_run(125);
			return;
		}
		M.container_pid = (pid_t)pid;
		M.running = 1;
		M.created = 1;
		sync_report("ok %ld", pid);
		if (r == (pid_t)pid)
			container_exited(cst); /* it was quicker than its helper */
		return;
	}
	if (sscanf(line, "err %ld", &code) == 1) {
		msg = strchr(line + 4, ' ');
		msg = msg != NULL ? msg + 1 : "create failed";
		if (code <= 0 || code > 255)
			code = 125;
		sync_report("err %ld %s", code, msg);
		fail_run((int)code);
		return;
	}
	if (WIFEXITED(st))
		sync_report("err 125 create helper failed: exit status %d", WEXITSTATUS(st));
	else
		sync_report("err 125 create helper failed: signal %d", WTERMSIG(st));
	fail_run(125);
}

/* SIGCHLD: while creating only the helper matters (the container's exit
 * status must not be reaped before we know its pid); afterwards reap every
 * child, orphans reparented to us included. */
static void reap(void)
{
	int st;
	pid_t pid;

	if (!M.running) {
		if (M.helper_pid > 0 && waitpid(M.helper_pid, &st, WNOHANG) == M.helper_pid)
			on_helper_exit(st);
		if (!M.running)
			return;
	}
	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		if (pid == M.container_pid && !M.done)
			container_exited(st);
	}
	if (pid < 0 && errno == ECHILD && !M.done)
		fail_run(255); /* cannot happen unless someone else reaped it */
}

static void on_signals(void)
{
	struct signalfd_siginfo si;
	int chld = 0;

	while (read(M.sigfd, &si, sizeof(si)) == sizeof(si)) {
		/* SIGTERM/SIGINT/SIGHUP are ignored: the engine signals the
		 * container pid itself, and a monitor must outlive its terminal. */
		if (si.ssi_signo == SIGCHLD)
			chld = 1;
	}
	if (chld)
		reap();
}

/* ---- the event loop ----------------------------------------------------- */

enum { P_SIG, P_LISTEN, P_CONSOLE, P_OUT0, P_OUT1, P_IN, P_NOTIFY, P_CLIENTS };

static void event_loop(void)
{
	struct pollfd pfd[P_CLIENTS + MAX_CLIENTS];

	while (!M.done) {
		int paused = any_client_pending();
		int reading_clients = M.in_pending == NULL;
		int timeout = -1;
		long long now;

		pfd[P_SIG] = (struct pollfd){ M.sigfd, POLLIN, 0 };
		pfd[P_LISTEN] = (struct pollfd){ M.listen_fd, POLLIN, 0 };
		pfd[P_CONSOLE] = (struct pollfd){ M.console_fd, POLLIN, 0 };
		pfd[P_OUT0] = (struct pollfd){ paused ? -1 : M.out_fd[0], POLLIN, 0 };
		pfd[P_OUT1] = (struct pollfd){ paused ? -1 : M.out_fd[1], POLLIN, 0 };
		pfd[P_IN] = (struct pollfd){ M.in_pending ? M.in_fd : -1, POLLOUT, 0 };
		pfd[P_NOTIFY] = (struct pollfd){ M.notify_fd, POLLIN, 0 };
		for (int i = 0; i < M.nclients; i++) {
			struct client *c = &M.clients[i];
			short ev = (reading_clients && !c->rd_closed ? POLLIN : 0) |
				   (c->pending ? POLLOUT : 0);
			/*
			 * fd -1 when nothing is wanted, as poll reports POLLHUP
			 * regardless of events, which would spin while we are not
			 * reading the client. A client that only shut down its
			 * sending side reports POLLHUP only once fully closed, so it
			 * stays polled for that.
			 */
			int fd = ev != 0 || c->rd_closed ? c->fd : -1;
			pfd[P_CLIENTS + i] = (struct pollfd){ fd, ev, 0 };
			if (M.clients[i].pending) {
				long long left = M.clients[i].since_ms + CLIENT_STALL_MS - now_ms();
				if (left < 0)
					left = 0;
				if (timeout < 0 || left < timeout)
					timeout = (int)left;
			}
		}

		int nfds = P_CLIENTS + M.nclients;
		if (poll(pfd, (nfds_t)nfds, timeout) < 0) {
			if (errno == EINTR)
				continue;
			sleep_ms(10); /* ENOMEM: try again rather than lose the container */
			continue;
		}

		if (pfd[P_SIG].revents)
			on_signals();
		if (pfd[P_NOTIFY].revents)
			mon_notify_forward(M.notify_fd, M.cfg.notify_socket);
		if (pfd[P_CONSOLE].revents && M.console_fd >= 0)
			on_console();
		/* Stop as soon as a client could not take a packet: broadcast
		 * keeps one pending packet per client, not a queue. */
		for (int k = 0; k < 2; k++)
			if (pfd[P_OUT0 + k].revents && M.out_fd[k] >= 0 && !any_client_pending())
				read_output(k);
		if (pfd[P_IN].revents && M.in_pending != NULL) {
			if (pfd[P_IN].revents & (POLLERR | POLLHUP)) {
				if (M.cfg.tty)
					stdin_free_pending();
				else
					stdin_close_now();
			} else {
				on_stdin_writable();
			}
		}
		/*
		 * Clients backwards: dropping client i moves the last one, already
		 * handled, into slot i. A client polled only for POLLOUT that
		 * reports POLLHUP/POLLERR is gone; one polled for POLLIN is
		 * dropped when recv says so (after its last packets are read).
		 */
		for (int i = nfds - P_CLIENTS - 1; i >= 0; i--) {
			short re = pfd[P_CLIENTS + i].revents;
			if (i >= M.nclients || re == 0)
				continue;
			if ((re & POLLOUT) && M.clients[i].pending != NULL && client_flush(i) < 0)
				continue;
			if (reading_clients && !M.clients[i].rd_closed &&
			    (re & (POLLIN | POLLHUP | POLLERR))) {
				int r = on_client_input(i);
				if (r < 0 || (r > 0 && (re & (POLLHUP | POLLERR))))
					drop_client(i);
				else if (r > 0)
					M.clients[i].rd_closed = 1; /* half-close: keeps output */
			} else if (re & (POLLHUP | POLLERR)) {
				drop_client(i);
			}
		}
		if (pfd[P_LISTEN].revents)
			on_accept();
		now = now_ms();
		drop_stalled_clients(now);
	}
}

/* Hand pending packets to clients, waiting at most until deadline. */
static void drain_clients(long long deadline)
{
	struct pollfd pfd[MAX_CLIENTS];

	while (any_client_pending()) {
		long long left = deadline - now_ms();
		int n = 0;

		if (left <= 0)
			break;
		for (int i = 0; i < M.nclients; i++)
			pfd[i] = (struct pollfd){ M.clients[i].pending ? M.clients[i].fd : -1,
						  POLLOUT, 0 };
		n = M.nclients;
		if (poll(pfd, (nfds_t)n, (int)left) < 0 && errno != EINTR)
			break;
		for (int i = n - 1; i >= 0; i--)
			if (pfd[i].revents && i < M.nclients && M.clients[i].pending != NULL)
				(void)client_flush(i);
	}
	for (int i = M.nclients - 1; i >= 0; i--)
		if (M.clients[i].pending != NULL)
			drop_client(i);
}

/*
 * After the exit packet: a client that announced it runs the cleanup itself (a
 * foreground `run`, which has the store open already) is waited for until it
 * closes. Packets still queued (stdin, the announcement itself) are read and
 * dropped on the way. Returns whether such a client existed.
 */
static int rundir_alive(void);

/* Handle what client i has queued; 1 once it closed (or failed), else 0. */
static int client_read_queued(int i)
{
	M.cur_client = i;
	for (int k = 0; k < 256; k++) {
		unsigned char b;
		ssize_t n = recv(M.clients[i].fd, &b, 1, MSG_DONTWAIT | MSG_PEEK);

		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : 1;
		if (n == 0 || client_packet(M.clients[i].fd) != 0)
			return 1;
	}
	return 0;
}

static int wait_cleaning_clients(void)
{
	long long deadline = now_ms() + CLIENT_CLEANUP_MS;
	struct pollfd pfd[MAX_CLIENTS];
	int any = 0;

	for (;;) {
		int waiting = 0;
		for (int i = M.nclients - 1; i >= 0; i--) {
			int closed = client_read_queued(i);
			if (M.clients[i].cleans)
				any = 1;
			if (closed)
				drop_client(i);
			else if (M.clients[i].cleans)
				waiting++;
		}
		long long left = deadline - now_ms();
		if (waiting == 0 || left <= 0)
			break;
		for (int i = 0; i < M.nclients; i++)
			pfd[i] = (struct pollfd){ M.clients[i].cleans ? M.clients[i].fd : -1, POLLIN, 0 };
		if (poll(pfd, (nfds_t)M.nclients, (int)left) < 0 && errno != EINTR)
			break;
	}
	return any;
}

/*
 * The container has exited: take what its pipes hold right now and stop. No
 * waiting for EOF: a process it left behind may hold the pipes open for ever.
 */
static void drain_output(void)
{
	long long deadline = now_ms() + DRAIN_MAX_MS;
	long total = 0;

	if (M.console_fd >= 0)
		on_console(); /* a master that arrived with the exit */
	for (int k = 0; k < 2; k++) {
		while (M.out_fd[k] >= 0 && total < DRAIN_MAX_BYTES) {
			drain_clients(deadline);
			int n = read_output(k);
			if (n <= 0)
				break;
			total += n;
		}
	}
	drain_clients(deadline);
}

static void close_run_fds(void)
{
	close_fd(&M.out_fd[0]);
	close_fd(&M.out_fd[1]);
	close_fd(&M.console_fd);
	close_fd(&M.status_fd);
	stdin_close_now();
}

/* One container run; returns its exit code (M.created says whether it ran). */
static int run_once(void)
{
	char err[512];

	M.out_fd[0] = M.out_fd[1] = M.in_fd = M.console_fd = M.status_fd = -1;
	M.helper_pid = M.container_pid = 0;
	M.running = M.done = M.created = 0;
	M.exit_code = 0;

	if (spawn_create_helper(err, sizeof(err)) < 0) {
		sync_report("err 125 %s", err);
		M.exit_code = 125;
	} else {
		event_loop();
	}
	if (M.helper_pid > 0) {
		/* Cannot happen with done set, but never leave the helper behind. */
		kill(M.helper_pid, SIGKILL);
		waitpid(M.helper_pid, NULL, 0);
	}
	if (M.created)
		drain_output();
	close_run_fds();
	write_exit_file(M.exit_code);
	/*
	 * The exit code goes to every client, those still in the backlog
	 * included, so a foreground `run --rm` learns it even when the cleanup
	 * removes the container (and its files) right after. Then EOF.
	 */
	{
		unsigned char pkt[16];
		int n = snprintf((char *)pkt + 1, sizeof(pkt) - 1, "%d", M.exit_code);

		pkt[0] = ATTACH_OUT_EXIT;
		accept_pending();
		broadcast(pkt, (size_t)n + 1);
		drain_clients(now_ms() + DRAIN_MAX_MS);
	}
	int client_cleaned = wait_cleaning_clients() &&
			     (!rundir_alive() || access(CLEANED_FILE, F_OK) == 0);
	drop_all_clients(); /* EOF tells attached clients the container ended */
	if (!client_cleaned)
		run_cleanup(M.exit_code); /* idempotent: also after a client died mid-way */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		; /* orphans that ended meanwhile */
	return M.exit_code;
}

/* ---- setup and restart -------------------------------------------------- */

/* run_dir still the directory we started in (cleanup may remove it for --rm). */
static int rundir_alive(void)
{
	struct stat st;

	return stat(M.cfg.run_dir, &st) == 0 && st.st_dev == M.rundir_st.st_dev &&
	       st.st_ino == M.rundir_st.st_ino;
}

static int should_restart(int code)
{
	switch (M.cfg.restart) {
	case RESTART_ALWAYS:
	case RESTART_UNLESS_STOPPED:
		break;
	case RESTART_ON_FAILURE:
		if (code == 0)
			return 0;
		if (M.cfg.restart_max > 0 && M.restarts >= M.cfg.restart_max)
			return 0;
		break;
	default:
		return 0;
	}
	/* `stopped` is created by the engine before a user stop or kill. */
	return rundir_alive() && access(STOPPED_FILE, F_OK) < 0;
}

static int listen_attach(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	/* Relative to run_dir (our cwd): its absolute path may exceed sun_path. */
	strcpy(addr.sun_path, ATTACH_FILE);
	unlink(ATTACH_FILE);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int setup_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	return signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
}

/* Failure after chdir(run_dir): report it like a failed create. */
static void __attribute__((noreturn)) fail_setup(const char *what, int err)
{
	sync_report("err 125 monitor: %s: %s", what, strerror(err));
	write_exit_file(125);
	run_cleanup(125);
	unlink(ATTACH_FILE);
	_exit(125);
}

static void setup(const char *config_path)
{
	char err[512];
	char pidbuf[32];
	int n;

	if (mon_config_load(config_path, &M.cfg, err, sizeof(err)) < 0) {
		if (M.cfg.sync_fd >= 0)
			M.cfg.sync_fd = early_move_fd_above(M.cfg.sync_fd, 3);
		fatal_early(err, 0);
	}
	/* The sync fd must survive the stdio redirection and nothing else of
	 * the launcher's may leak into the monitor (it would hold pipes open). */
	if (M.cfg.sync_fd >= 0) {
		M.cfg.sync_fd = early_move_fd_above(M.cfg.sync_fd, 3);
		if (M.cfg.sync_fd >= 0)
			fcntl(M.cfg.sync_fd, F_SETFD, FD_CLOEXEC);
	}
	early_close_fds_except(3, M.cfg.sync_fd);

	setsid(); /* fails only if already a group leader; harmless */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	prctl(PR_SET_NAME, "engine-monitor");
	if (chdir(M.cfg.run_dir) < 0)
		fatal_early("chdir run_dir", errno);
	if (stat(".", &M.rundir_st) < 0)
		fatal_early("stat run_dir", errno);
	/* Left by a previous run of the container: a new start supersedes them. */
	unlink(EXIT_FILE);
	unlink(STOPPED_FILE);
	unlink(RESTARTS_FILE);

	M.iobuf = malloc(1 + IOBUF_DATA);
	if (M.iobuf == NULL)
		fail_setup("allocate", ENOMEM);
	M.sigfd = setup_signals();
	if (M.sigfd < 0)
		fail_setup("signalfd", errno);
	M.listen_fd = listen_attach();
	if (M.listen_fd < 0)
		fail_setup("attach socket", errno);
	M.notify_fd = -1;
	if (M.cfg.notify_socket != NULL && M.cfg.notify_socket[0] != '\0') {
		M.notify_fd = mon_notify_open();
		if (M.notify_fd < 0)
			fail_setup("sd_notify socket", errno);
	}
	/* After the socket: monitor.pid existing means `attach` is ready. */
	n = snprintf(pidbuf, sizeof(pidbuf), "%d\n", (int)getpid());
	if (early_write_file_atomic("monitor.pid", pidbuf, (size_t)n) < 0)
		fail_setup("write monitor.pid", errno);
	if (early_stdio_to_devnull() < 0)
		fail_setup("open /dev/null", errno);
	if (mon_log_open(&M.log, M.cfg.log_path, M.cfg.log_max_size, M.cfg.log_max_files) < 0)
		fail_setup("open log", errno);
}

void engine_monitor_main(const char *config_path)
{
	char *path = strdup(config_path);

	/* Children (helpers, the container) must not become monitors. */
	unsetenv("_ENGINE_MONITOR");
	signal(SIGPIPE, SIG_IGN);
	M.cfg.sync_fd = -1;
	if (path == NULL)
		fatal_early("allocate", ENOMEM);
	setup(path);
	free(path);

	int code;

	for (;;) {
		char buf[16];

		code = run_once();

		if (!M.created || !should_restart(code))
			break;
		sleep_ms(RESTART_DELAY_MS);
		if (!should_restart(code)) /* a stop may have come during the delay */
			break;
		M.restarts++;
		int n = snprintf(buf, sizeof(buf), "%d\n", M.restarts);
		early_write_file_atomic(RESTARTS_FILE, buf, (size_t)n);
		unlink(EXIT_FILE); /* running again; `exit` describes a finished container */
	}
	unlink(ATTACH_FILE);
	/* The container's code, as conmon's: under systemd the monitor is the
	 * service's main process (--sdnotify), and Restart=on-failure reads it. */
	_exit(code & 0xff);
}
