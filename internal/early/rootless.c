/*
 * Job 2: a non-root user's engine runs as root of one user namespace shared
 * by all of that user's invocations (podman's pause-process model).
 *
 * The first invocation forks a pause process that unshares a user and a mount
 * namespace, gets its id maps (newuidmap/newgidmap with /etc/subuid and
 * /etc/subgid ranges, or a single-id map without them) and then only sleeps,
 * holding both namespaces. Every invocation, the first included, setns()es
 * into them before the Go runtime starts threads (setns(CLONE_NEWUSER) needs a
 * single-threaded process). So a rootfs mounted by one invocation is seen by
 * the next, and file ownership in the store stays stable.
 *
 *   <rundir>/engine/pause.lock  flock'ed while looking up or creating the pause
 *   <rundir>/engine/pause.pid   its pid, written atomically
 * <rundir> is $XDG_RUNTIME_DIR if it is a directory owned by the user, else
 * /tmp/engine-run-<uid> (created 0700, refused if not private to the user).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "early.h"

#define PAUSE_COMM "engine-pause" /* /proc/PID/comm of the pause process */
#define MAX_RANGES 64

/* ---- errors --------------------------------------------------------------- */

static void __attribute__((noreturn)) die_msg(const char *msg)
{
	dprintf(2, "Error: rootless setup: %s\n", msg);
	_exit(125);
}

static void __attribute__((noreturn)) die(const char *what, int err)
{
	dprintf(2, "Error: rootless setup: %s: %s\n", what, strerror(err));
	_exit(125);
}

/* die() with a formatted "what". */
#define DIEF(err, ...)                                          \
	do {                                                    \
		int e_ = (err);                                 \
		char *w_ = early_strdup_printf(__VA_ARGS__);    \
		die(w_ != NULL ? w_ : "rootless setup", e_);    \
	} while (0)

/* ---- when to do nothing --------------------------------------------------- */

static int is_skip_command(const char *a)
{
	static const char *const skip[] = { "version", "--version", "-v",
					    "help",    "--help",    "-h" };

	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (strcmp(a, skip[i]) == 0)
			return 1;
	/*
	 * A Go test binary (go test passes -test.* flags first) is left alone,
	 * so a package's unit tests run as the invoking user; tests that want
	 * the namespace run the binary with their own arguments.
	 */
	return strncmp(a, "-test.", 6) == 0;
}

static int should_skip(void)
{
	size_t len;
	char *cmdline;
	int skip;

	/* Already inside (set by us or by containers/storage's pkg/unshare),
	 * or pkg/unshare's own re-exec child, which unshares by itself. */
	if (getenv("_CONTAINERS_USERNS_CONFIGURED") != NULL ||
	    getenv("_Containers-unshare") != NULL)
		return 1;
	cmdline = early_read_file("/proc/self/cmdline", &len);
	if (cmdline == NULL)
		return 0; /* no /proc: the setup below will say what is wrong */
	/* argv[0] NUL argv[1] NUL ...; argc == 1 when only one string. */
	size_t a0 = strnlen(cmdline, len);
	if (a0 + 1 >= len)
		skip = 1;
	else
		skip = is_skip_command(cmdline + a0 + 1);
	free(cmdline);
	return skip;
}

/* ---- the runtime directory ------------------------------------------------ */

static void check_private_dir(const char *dir, uid_t uid)
{
	struct stat st;

	if (lstat(dir, &st) < 0)
		DIEF(errno, "stat %s", dir);
	if (!S_ISDIR(st.st_mode) || st.st_uid != uid || (st.st_mode & 077) != 0)
		DIEF(EPERM, "%s is not a directory private to uid %u", dir, (unsigned)uid);
}

static char *runtime_dir(uid_t uid)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	char *dir;

	if (xdg != NULL && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == uid)
		return strdup(xdg);
	/* /tmp is shared: only a directory that is ours and private will do. */
	dir = early_strdup_printf("/tmp/engine-run-%u", (unsigned)uid);
	if (dir == NULL)
		die("allocate", ENOMEM);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		DIEF(errno, "mkdir %s", dir);
	check_private_dir(dir, uid);
	return dir;
}

/* ---- an existing pause process -------------------------------------------- */

struct ns_fds {
	int user;
	int mnt;
};

static int same_inode(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/*
 * The namespaces of the pause process named in pause.pid, or -1s if it is
 * gone. The pid may have been reused, so it must be ours, be called
 * engine-pause and be in a user namespace other than ours.
 */
static struct ns_fds open_pause_ns(const char *pidfile, uid_t uid)
{
	struct ns_fds ns = { -1, -1 };
	char path[64], *s, *comm;
	struct stat st;
	long pid;

	s = early_read_file(pidfile, NULL);
	if (s == NULL)
		return ns;
	pid = strtol(s, NULL, 10);
	free(s);
	if (pid <= 0)
		return ns;

	snprintf(path, sizeof(path), "/proc/%ld", pid);
	if (stat(path, &st) < 0 || st.st_uid != uid)
		return ns;
	snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
	comm = early_read_file(path, NULL);
	if (comm == NULL || strcmp(comm, PAUSE_COMM "\n") != 0) {
		free(comm);
		return ns;
	}
	free(comm);
	snprintf(path, sizeof(path), "/proc/%ld/ns/user", pid);
	ns.user = open(path, O_RDONLY | O_CLOEXEC);
	snprintf(path, sizeof(path), "/proc/%ld/ns/mnt", pid);
	ns.mnt = open(path, O_RDONLY | O_CLOEXEC);
	if (ns.user < 0 || ns.mnt < 0 || same_inode(ns.user, "/proc/self/ns/user")) {
		if (ns.user >= 0)
			close(ns.user);
		if (ns.mnt >= 0)
			close(ns.mnt);
		ns.user = ns.mnt = -1;
	}
	return ns;
}

/* ---- id maps -------------------------------------------------------------- */

struct range {
	unsigned long start, count;
};

/* Ranges of `name:start:count` or `uid:start:count` lines of /etc/sub[ug]id. */
static int read_subids(const char *file, const char *name, uid_t uid, struct range *r)
{
	char uidstr[16], *buf, *line, *next;
	int n = 0;

	snprintf(uidstr, sizeof(uidstr), "%u", (unsigned)uid);
	buf = early_read_file(file, NULL);
	if (buf == NULL)
		return 0;
	for (line = buf; line != NULL && *line != '\0' && n < MAX_RANGES; line = next) {
		char *f1, *f2, *end;
		unsigned long start, count;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		f1 = strchr(line, ':');
		if (f1 == NULL || line[0] == '#')
			continue;
		*f1++ = '\0';
		if (strcmp(line, uidstr) != 0 && (name == NULL || strcmp(line, name) != 0))
			continue;
		f2 = strchr(f1, ':');
		if (f2 == NULL)
			continue;
		*f2++ = '\0';
		start = strtoul(f1, &end, 10);
		if (*end != '\0')
			continue;
		count = strtoul(f2, &end, 10);
		if ((*end != '\0' && *end != '\r' && *end != ' ') || count == 0)
			continue;
		r[n++] = (struct range){ start, count };
	}
	free(buf);
	return n;
}

static const char *find_tool(const char *name)
{
	static const char *const dirs[] = { "/usr/bin", "/usr/sbin", "/bin", "/sbin" };
	static char path[64];

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dirs[i], name);
		if (access(path, X_OK) == 0)
			return path;
	}
	DIEF(ENOENT, "%s (needed for the ranges in /etc/subuid and /etc/subgid)", name);
}

/* newuidmap PID 0 ID 1 1 START COUNT [next START COUNT ...], run and waited for. */
static void run_idmap_tool(const char *tool, pid_t pid, unsigned long id,
			   const struct range *r, int n)
{
	char *argv[6 + 3 * MAX_RANGES + 1];
	unsigned long inner = 1;
	int argc = 0, st;
	pid_t child;

	argv[argc++] = (char *)tool;
	argv[argc++] = early_strdup_printf("%d", (int)pid);
	argv[argc++] = "0";
	argv[argc++] = early_strdup_printf("%lu", id);
	argv[argc++] = "1";
	for (int i = 0; i < n; i++) {
		argv[argc++] = early_strdup_printf("%lu", inner);
		argv[argc++] = early_strdup_printf("%lu", r[i].start);
		argv[argc++] = early_strdup_printf("%lu", r[i].count);
		inner += r[i].count;
	}
	argv[argc] = NULL;
	for (int i = 0; i < argc; i++)
		if (argv[i] == NULL)
			die("allocate", ENOMEM);

	const char *path = find_tool(tool);
	child = fork();
	if (child < 0)
		DIEF(errno, "fork %s", tool);
	if (child == 0) {
		early_reset_signals();
		execv(path, argv);
		_exit(127);
	}
	while (waitpid(child, &st, 0) < 0) {
		if (errno != EINTR)
			DIEF(errno, "wait for %s", tool);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char *m = early_strdup_printf("%s %d: failed (status %d); check /etc/subuid "
					      "and /etc/subgid", tool, (int)pid, st);
		die_msg(m != NULL ? m : tool);
	}
}

static void write_proc(pid_t pid, const char *file, const char *data)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || early_write_all(fd, data, strlen(data)) < 0)
		DIEF(errno, "write %s", path);
	close(fd);
}

static void write_id_maps(pid_t pid, uid_t uid, gid_t gid)
{
	struct range ur[MAX_RANGES], gr[MAX_RANGES];
	struct passwd *pw = getpwuid(uid);
	const char *name = pw != NULL ? pw->pw_name : NULL;
	int nu = read_subids("/etc/subuid", name, uid, ur);
	int ng = read_subids("/etc/subgid", name, uid, gr);
	char buf[64];

	if (nu > 0 && ng > 0) {
		run_idmap_tool("newuidmap", pid, uid, ur, nu);
		run_idmap_tool("newgidmap", pid, gid, gr, ng);
		return;
	}
	/* No ranges: the kernel lets us map our own ids, once setgroups is off. */
	write_proc(pid, "setgroups", "deny");
	snprintf(buf, sizeof(buf), "0 %u 1\n", (unsigned)uid);
	write_proc(pid, "uid_map", buf);
	snprintf(buf, sizeof(buf), "0 %u 1\n", (unsigned)gid);
	write_proc(pid, "gid_map", buf);
}

/* ---- creating the pause process ------------------------------------------- */

enum { STEP_UNSHARE = 1, STEP_STARTED, STEP_MOUNT, STEP_READY };

struct pause_msg {
	int step;
	int err;
	int pid;
};

/*
 * Make ps show "engine-pause" instead of the command line of the invocation
 * that happened to create it (an `engine pull ...` that seems to live for
 * ever confuses people). The argv strings live between arg_start and
 * arg_end, fields 48 and 49 of /proc/self/stat; overwriting them in place is
 * what setproctitle does.
 */
static void set_cmdline(const char *title)
{
	char *stat = early_read_file("/proc/self/stat", NULL);
	char *p = stat != NULL ? strrchr(stat, ')') : NULL;
	unsigned long start = 0, end = 0;
	int field = 2; /* the comm field ends at ')' */

	for (char *tok = p != NULL ? strtok(p + 1, " ") : NULL; tok != NULL;
	     tok = strtok(NULL, " ")) {
		field++;
		if (field == 48)
			start = strtoul(tok, NULL, 10);
		else if (field == 49) {
			end = strtoul(tok, NULL, 10);
			break;
		}
	}
	free(stat);
	if (start == 0 || end <= start + strlen(title))
		return;
	memset((void *)start, 0, end - start);
	memcpy((void *)start, title, strlen(title));
}

static void __attribute__((noreturn)) become_pause(void)
{
	static const int ignored[] = { SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGALRM, SIGUSR1,
				       SIGUSR2, SIGTSTP, SIGTTIN, SIGTTOU, SIGXCPU, SIGXFSZ,
				       SIGVTALRM, SIGPROF, SIGPOLL };
	sigset_t none;

	/* Own session, no cwd pinning a mount, no fds: it must never keep the
	 * caller's terminal or pipes open, nor die with the terminal. */
	setsid();
	if (chdir("/") < 0) {
		/* nothing to report to: keep going from wherever we are */
	}
	early_close_fds_from(0);
	/* Like podman's pause: terminal and job-control signals are ignored;
	 * SIGTERM and SIGKILL still end it (for the engine's own cleanup). */
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		signal(ignored[i], SIG_IGN);
	signal(SIGTERM, SIG_DFL); /* the caller may have had it ignored */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (;;)
		pause();
}

static void send_msg(int fd, int step, int err)
{
	struct pause_msg m = { step, err, (int)getpid() };

	early_write_all(fd, &m, sizeof(m));
}

/* The grandchild that becomes the pause process. */
static void __attribute__((noreturn)) pause_child(int tx, int rx)
{
	char c;

	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0) {
		send_msg(tx, STEP_UNSHARE, errno);
		_exit(1);
	}
	send_msg(tx, STEP_STARTED, 0);
	/* EOF here means the parent failed and is gone: so are we. */
	if (read(rx, &c, 1) != 1)
		_exit(1);
	/* rslave, as podman: host mounts still propagate in, ours stay here. */
	if (mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0) {
		send_msg(tx, STEP_MOUNT, errno);
		_exit(1);
	}
	prctl(PR_SET_NAME, PAUSE_COMM);
	set_cmdline(PAUSE_COMM);
	send_msg(tx, STEP_READY, 0);
	become_pause();
}

static int recv_msg(int fd, struct pause_msg *m)
{
	ssize_t n;

	do
		n = read(fd, m, sizeof(*m));
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*m) ? 0 : -1;
}

/*
 * Fork (twice, so the pause process is not our child and never becomes a
 * zombie of a long-lived engine), map its ids, wait until it is ready.
 */
static pid_t create_pause(uid_t uid, gid_t gid)
{
	int c2p[2], p2c[2], st;
	struct pause_msg m = { 0, 0, 0 };
	pid_t mid, pid;
	char one = 1;

	if (pipe2(c2p, O_CLOEXEC) < 0 || pipe2(p2c, O_CLOEXEC) < 0)
		die("pipe", errno);
	mid = fork();
	if (mid < 0)
		die("fork", errno);
	if (mid == 0) {
		close(c2p[0]);
		close(p2c[1]);
		pid = fork();
		if (pid < 0) {
			send_msg(c2p[1], STEP_UNSHARE, errno);
			_exit(1);
		}
		if (pid > 0)
			_exit(0);
		pause_child(c2p[1], p2c[0]);
	}
	close(c2p[1]);
	close(p2c[0]);
	while (waitpid(mid, &st, 0) < 0 && errno == EINTR)
		;

	if (recv_msg(c2p[0], &m) < 0)
		die("start pause process", EPIPE);
	if (m.step != STEP_STARTED)
		die("unshare user and mount namespace", m.err);
	pid = (pid_t)m.pid;

	write_id_maps(pid, uid, gid); /* dies on failure; the child then sees EOF */
	if (early_write_all(p2c[1], &one, 1) < 0) {
		kill(pid, SIGKILL);
		die("pause process", errno);
	}
	if (recv_msg(c2p[0], &m) < 0 || m.step != STEP_READY) {
		kill(pid, SIGKILL);
		die("make / rslave in the pause process", m.step == STEP_MOUNT ? m.err : EPIPE);
	}
	close(c2p[0]);
	close(p2c[1]);
	return pid;
}

/* ---- joining ------------------------------------------------------------- */

static void join(struct ns_fds ns)
{
	char *cwd = getcwd(NULL, 0);
	int cwdfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (setns(ns.user, CLONE_NEWUSER) < 0)
		die("join the user namespace of the pause process", errno);
	if (setns(ns.mnt, CLONE_NEWNS) < 0)
		die("join the mount namespace of the pause process", errno);
	if (setresgid(0, 0, 0) < 0)
		die("setresgid 0", errno);
	if (setresuid(0, 0, 0) < 0)
		die("setresuid 0", errno);
	/*
	 * setns(CLONE_NEWNS) moved cwd to the namespace's root, and CLI
	 * arguments may be relative. The path is resolved again so that the
	 * cwd lives in the new namespace; the saved fd covers a cwd whose path
	 * does not resolve there (deleted, or not visible).
	 */
	if ((cwd == NULL || chdir(cwd) < 0) && (cwdfd < 0 || fchdir(cwdfd) < 0))
		die("restore the working directory", errno);
	free(cwd);
	if (cwdfd >= 0)
		close(cwdfd);
	close(ns.user);
	close(ns.mnt);
}

void engine_rootless_setup(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char *rundir, *dir, *lockpath, *pidpath, buf[32];
	struct ns_fds ns;
	int lockfd;

	if (should_skip())
		return;

	rundir = runtime_dir(uid);
	if (rundir == NULL)
		die("allocate", ENOMEM);
	dir = early_strdup_printf("%s/engine", rundir);
	lockpath = early_strdup_printf("%s/engine/pause.lock", rundir);
	pidpath = early_strdup_printf("%s/engine/pause.pid", rundir);
	if (dir == NULL || lockpath == NULL || pidpath == NULL)
		die("allocate", ENOMEM);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		DIEF(errno, "mkdir %s", dir);
	check_private_dir(dir, uid);

	lockfd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lockfd < 0)
		DIEF(errno, "open %s", lockpath);
	while (flock(lockfd, LOCK_EX) < 0)
		if (errno != EINTR)
			DIEF(errno, "lock %s", lockpath);

	ns = open_pause_ns(pidpath, uid);
	if (ns.user < 0) {
		pid_t pid = create_pause(uid, gid);
		int n = snprintf(buf, sizeof(buf), "%d\n", (int)pid);
		if (early_write_file_atomic(pidpath, buf, (size_t)n) < 0) {
			int e = errno;
			kill(pid, SIGKILL);
			DIEF(e, "write %s", pidpath);
		}
		ns = open_pause_ns(pidpath, uid);
		if (ns.user < 0) {
			kill(pid, SIGKILL);
			DIEF(ESRCH, "open the namespaces of pause process %d", (int)pid);
		}
	}
	join(ns);

	/* Read by the Go side through C getenv (as pkg/unshare does); early.go
	 * copies them into Go's environment too. */
	snprintf(buf, sizeof(buf), "%u", (unsigned)uid);
	setenv("_CONTAINERS_ROOTLESS_UID", buf, 1);
	snprintf(buf, sizeof(buf), "%u", (unsigned)gid);
	setenv("_CONTAINERS_ROOTLESS_GID", buf, 1);
	setenv("_CONTAINERS_USERNS_CONFIGURED", "1", 1);
	setenv("_ENGINE_ROOTLESS_RUNDIR", rundir, 1);

	flock(lockfd, LOCK_UN);
	close(lockfd);
	free(dir);
	free(lockpath);
	free(pidpath);
	free(rundir);
}
