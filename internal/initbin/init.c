/*
 * engine-init: the minimal init that `engine run --init` puts at pid 1 of a
 * container (bind-mounted read-only at /run/engine-init). It starts the command,
 * forwards every signal it can to it, reaps every zombie the container makes, and
 * exits with the command's exit code (128+N when the command died of signal N).
 *
 * Built static (`make`), because it runs inside images that have no libc of ours.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int exit_code_of(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

static pid_t spawn(char **argv, const sigset_t *orig)
{
	pid_t pid = fork();
	if (pid < 0) {
		perror("engine-init: fork");
		exit(125);
	}
	if (pid == 0) {
		sigprocmask(SIG_SETMASK, orig, NULL);
		/* Own process group, so that a terminal's job control reaches it. */
		setpgid(0, 0);
		execvp(argv[0], argv);
		fprintf(stderr, "engine-init: exec %s: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	return pid;
}

int main(int argc, char **argv)
{
	sigset_t all, orig;
	int i = 1;

	if (i < argc && strcmp(argv[i], "--") == 0)
		i++;
	if (i >= argc) {
		fprintf(stderr, "usage: engine-init [--] COMMAND [ARG...]\n");
		return 125;
	}
	/* Reap orphans even when not pid 1 (e.g. under --pid host). */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &orig);
	pid_t child = spawn(argv + i, &orig);

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			/* Job control signals for the terminal are not ours to forward. */
			if (sig != SIGTTIN && sig != SIGTTOU)
				kill(child, sig);
			continue;
		}
		for (;;) {
			int st;
			pid_t p = waitpid(-1, &st, WNOHANG);
			if (p <= 0)
				break;
			if (p == child)
				return exit_code_of(st);
		}
	}
}
