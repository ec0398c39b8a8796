/* SPDX-License-Identifier: MIT */
/* subid.c - subordinate id ranges; see subid.h. */
#include "subid.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"

bool subid_lookup(const char *file, const char *name, unsigned long id, unsigned long *start, unsigned long *count)
{
	_cleanup_fclose_ FILE *f = fopen(file, "re");
	char line[4096], idstr[32];

	if (!f)
		return false;
	snprintf(idstr, sizeof(idstr), "%lu", id);
	for (int i = 0; i < 100000 && fgets(line, sizeof(line), f); i++) {
		char *c1 = strchr(line, ':');
		unsigned long s, n;

		if (!c1)
			continue;
		*c1 = '\0';
		if (strcmp(line, idstr) != 0 && (!name || strcmp(line, name) != 0))
			continue;
		if (sscanf(c1 + 1, "%lu:%lu", &s, &n) != 2 || n == 0)
			continue;
		*start = s;
		*count = n;
		return true;
	}
	return false;
}

int subid_write_map(const char *prog, pid_t pid, unsigned long id, unsigned long sub, unsigned long n)
{
	char a_pid[24], a_id[24], a_sub[24], a_n[24];
	int status;
	pid_t c;

	snprintf(a_pid, sizeof(a_pid), "%d", (int)pid);
	snprintf(a_id, sizeof(a_id), "%lu", id);
	snprintf(a_sub, sizeof(a_sub), "%lu", sub);
	snprintf(a_n, sizeof(a_n), "%lu", n);
	c = fork();
	if (c < 0)
		return -errno;
	if (c == 0) {
		execl(prog, prog, a_pid, "0", a_id, "1", "1", a_sub, a_n, (char *)NULL);
		_exit(127);
	}
	if (waitpid(c, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM;
}
