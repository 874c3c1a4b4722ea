// Package early is the C code of engine that runs in a constructor, before the
// Go runtime starts. Importing it (main.go does, blank) is all it takes.
//
// The constructor does at most one of two jobs, then either returns to Go or
// exits:
//
//   - _LIBCONTAINER_INITPIPE set: nothing (runc's nsenter constructor owns
//     libcontainer's init).
//   - _ENGINE_MONITOR=<config file>: become the container monitor (job 1) and
//     never return.
//   - euid != 0: join, or create, the user's pause process (job 2), then
//     return to Go as root of that user namespace.
//
// # Why C before Go
//
// A monitor per running container must cost what conmon costs (2 MiB RSS,
// 0.5 MiB PSS); the engine binary after Go's package inits costs about 28 MiB
// RSS. The same binary entered with _ENGINE_MONITOR set stops in the
// constructor: only libc, the loader and a few pages of this code are touched.
// And setns(CLONE_NEWUSER) refuses a multi-threaded process, which a Go
// process always is.
//
// # Job 1: the monitor
//
// The launcher (the Go side) writes a MonitorConfig, then starts the engine
// binary with _ENGINE_MONITOR=<config path> and the write end of a pipe as
// SyncFD (ExtraFiles[0] is fd 3). The argv is free: use something readable
// such as [engine, "monitor", id]; the process renames itself (comm) to
// "engine-monitor". The monitor:
//
//  1. unsets _ENGINE_MONITOR, ignores SIGPIPE, closes every inherited fd >= 3
//     but SyncFD, setsid()s, becomes a child subreaper, chdir()s to RunDir,
//     removes FileExit, FileStopped and FileRestarts left by a previous run,
//     binds the attach socket (FileAttach), writes FileMonitorPID (so its
//     existence means the socket is ready) and points its stdio at /dev/null.
//  2. makes the container's stdio: without a TTY pipes for stdout and stderr,
//     a pipe for stdin when Stdin is set (else /dev/null); with a TTY a
//     socketpair (the console socket) and /dev/null for the helper's stdio.
//  3. fork+execs CreateArgs (argv[0] is a path; no PATH search) with
//     fd 0-2 = the container's stdio, fd 3 (HelperConsoleFD) = the console
//     socket or /dev/null, fd 4 (HelperStatusFD) = a pipe. The helper writes
//     one line to fd 4: "ok <pid>" (the container init's pid; the helper then
//     exits and the init is reparented to the monitor) or "err <code> <msg>"
//     and exits non-zero. The helper should mark fd 3 and 4 close-on-exec
//     (or close them) before starting the container, so the container does
//     not inherit them. With a TTY, the helper passes fd 3 to libcontainer as
//     the console socket: runc sends the pty master over it (utils.SendFile:
//     file name as data, one SCM_RIGHTS fd), the monitor receives it and uses
//     it for output, stdin and resizes.
//  4. reports on SyncFD, once, the helper's line ("ok <pid>\n" or
//     "err <code> <msg>\n"; "err 125 create helper failed: exit status N" if
//     it died without one; "err 127 exec <path>: <strerror>" if it could not
//     be executed) and closes SyncFD. If the launcher sees EOF without a line,
//     the monitor died early and wrote the reason to its stderr (a bad config
//     file, say). After an err line the monitor writes FileExit with the code,
//     runs the cleanup helper and exits.
//  5. runs a poll loop: container output goes to the log (docker json-file,
//     one record per line, see LogPath) and to every attach client, attach
//     clients are accepted, children are reaped (orphans reparented to the
//     subreaper included). SIGTERM, SIGINT and SIGHUP are ignored: the engine
//     signals the container pid itself.
//  6. when the container's pid exits: code = exit status, or 128+signal.
//     Reads what its pipes hold at that moment (no waiting for EOF: a process
//     it left behind may hold them), writes FileExit atomically as
//     "<code> <unix ns>\n", closes the attach clients (EOF = container ended;
//     FileExit already exists then), runs CleanupArgs + "<code>" with stdio
//     on /dev/null and waits for it.
//  7. restarts (Restart policy, 100 ms delay) unless FileStopped exists or
//     RunDir is gone (cleanup may remove it for --rm). A restart removes
//     FileExit, writes FileRestarts ("<n>\n") and starts again at 2 without a
//     SyncFD; the helper gets EnvRestartCount=<n> in its environment and,
//     with no CLI to do it, must start the container's process itself (for
//     libcontainer: Exec after Start) before it reports ok. A create failure
//     during a restart ends the monitor (exit file with the code, cleanup).
//     Otherwise it unlinks the attach socket and exits 0. FileMonitorPID is
//     left in place.
//
// The helper must not reap the container's init (a Go helper does not unless
// it calls Wait; a shell does reap background jobs): the monitor learns the
// exit code by waitpid as the init's new parent. If the pid it was given is
// not its child, it reports "err 125 container pid N is not a child of the
// monitor ...".
//
// Restart and stop: the engine must create FileStopped before it signals the
// container for a user stop/kill, and then wait for the monitor to exit
// (re-reading FilePID if it races with a restart).
//
// # Attach protocol
//
// FileAttach in RunDir is an AF_UNIX SOCK_SEQPACKET socket (connect with the
// relative path after chdir, or through /proc/self/fd of an O_PATH fd of
// RunDir if the absolute path is longer than 107 bytes). Every packet starts
// with one byte:
//
//	monitor -> client: AttachReady, alone, as soon as the connection is
//	                   accepted (DialAttach waits for it): output from then on
//	                   reaches the client,
//	                   AttachStdout or AttachStderr + data (at most 8192 bytes),
//	                   AttachExit + the exit code in decimal, last, when the
//	                   container ended (before the cleanup runs); then EOF.
//	client -> monitor: AttachStdin + data (AttachMaxData per packet is best;
//	                   bigger packets are received whole at the cost of an
//	                   extra syscall and a temporary buffer),
//	                   AttachCloseStdin (pipe: close the container's stdin;
//	                   TTY: send ^D),
//	                   AttachCleanup: the client runs the cleanup itself after
//	                   the exit (a foreground run has the store open already).
//	                   After the exit packet the monitor waits (at most 60 s)
//	                   for such a client to close, and skips CleanupArgs if
//	                   RunDir is gone (--rm) or FileCleaned exists; otherwise
//	                   (the client died first) it runs them as usual,
//	                   AttachResize + rows uint16 + cols uint16 in native byte
//	                   order (ResizePacket builds it). A resize before the pty
//	                   master arrived is applied when it arrives.
//
// Stdin data is dropped unless Stdin is set. A client that shuts down its
// sending side (shutdown(SHUT_WR), CloseWrite) keeps receiving output; that
// does not close the container's stdin, AttachCloseStdin does. Output written
// before a client
// connects is only in the log: a client that needs everything connects (and
// waits for AttachReady) before the container starts (for example, the helper reports "ok" after
// libcontainer's create, the client attaches, then the engine starts the
// process) or reads the log.
//
// Slow clients: packets are sent without blocking. When a client's socket is
// full (512 KiB send buffer requested), the packet is kept for it and the
// monitor stops reading the container's output until that client takes it, so
// the container blocks on a full pipe as it would with docker attach; the log
// is never behind. A client that takes nothing for 10 s is dropped (its
// socket closed), so a stuck client cannot freeze a container for ever. At
// exit, clients get at most 2 s to take the rest. Stdin is the mirror image:
// when the container does not read its stdin, the monitor stops reading from
// clients.
//
// # Job 2: rootless
//
// For euid != 0 (skipped when _CONTAINERS_USERNS_CONFIGURED or
// _Containers-unshare is set, when argc == 1, when argv[1] is version,
// --version, -v, help, --help or -h, and when argv[1] starts with "-test." so
// unit test binaries run as the invoking user): under an flock of
// <rundir>/engine/pause.lock, join the pause process named in
// <rundir>/engine/pause.pid (owned by the user, comm "engine-pause", in
// another user namespace) or create it: a double-forked process that
// unshares user+mount namespaces, gets id maps (newuidmap/newgidmap with
// "0 <uid> 1" followed by the /etc/subuid and /etc/subgid ranges of the user's
// name or uid, packed from 1; without ranges "deny" to setgroups and the
// single-id maps written directly), makes / rslave, and then sleeps in its own
// session with no fds, named engine-pause in comm and cmdline (SIGTERM or
// SIGKILL ends it). Joining is
// setns(user), setns(mnt), setresgid/setresuid(0), and a chdir back to the
// working directory (by path, falling back to the saved fd). <rundir> is
// $XDG_RUNTIME_DIR if it is a directory owned by the user, else
// /tmp/engine-run-<uid> (0700, refused if not private).
//
// The constructor then sets _CONTAINERS_USERNS_CONFIGURED=1,
// _CONTAINERS_ROOTLESS_UID, _CONTAINERS_ROOTLESS_GID and
// _ENGINE_ROOTLESS_RUNDIR with C setenv. Go's os.Getenv does not see
// variables set by C before the runtime started (Go copies the environment
// from the initial stack), so this package's init copies them into Go's
// environment; the values are also readable through RootlessRunDir and
// containers/storage's pkg/unshare (which reads with C getenv). Failures print
// "Error: rootless setup: <what>: <why>" and exit 125.
package early
