/*
 * Dispatch of the work that must happen before the Go runtime starts: the Go
 * runtime starts threads, and both setns(CLONE_NEWUSER) and a conmon-sized
 * monitor need a process that is still single-threaded and small.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <unistd.h>

#include "early.h"

void engine_early_init(void)
{
	const char *conf;

	/*
	 * runc's libcontainer init (nsenter's own constructor handles it): this
	 * process is about to become a container process, leave it alone.
	 */
	if (getenv("_LIBCONTAINER_INITPIPE") != NULL)
		return;

	conf = getenv("_ENGINE_MONITOR");
	if (conf != NULL && conf[0] != '\0')
		engine_monitor_main(conf); /* never returns */

	if (geteuid() != 0)
		engine_rootless_setup();
}
