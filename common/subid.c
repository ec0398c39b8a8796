/* SPDX-License-Identifier: MIT */
/* subid.c - subordinate id ranges; see subid.h. */
#include "subid.h"

#include <stdio.h>
#include <string.h>

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
