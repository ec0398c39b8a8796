/* list.c: loads the path lists the stack generator writes next to a
 * stack (files.txt, dirs.txt, ...): one path per line, relative to the
 * tree's root.  Owns every string it returns. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

int pathlist_load(const char *file, struct pathlist *ret)
{
	struct pathlist l = { 0 };
	size_t cap = 0, len = 0;
	char *line = NULL;
	ssize_t n;
	FILE *f = fopen(file, "re");

	if (!f)
		return -errno;
	while ((n = getline(&line, &len, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = 0;
		if (n == 0)
			continue;
		if (l.n == cap) {
			size_t ncap = cap ? cap * 2 : 1024;
			char **p = realloc(l.paths, ncap * sizeof(*p));
			if (!p)
				goto oom;
			l.paths = p;
			cap = ncap;
		}
		l.paths[l.n] = strdup(line);
		if (!l.paths[l.n])
			goto oom;
		l.n++;
	}
	free(line);
	fclose(f);
	if (l.n == 0) {
		pathlist_free(&l);
		return -ENODATA;
	}
	*ret = l;
	return 0;
oom:
	free(line);
	fclose(f);
	pathlist_free(&l);
	return -ENOMEM;
}

void pathlist_free(struct pathlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->paths[i]);
	free(l->paths);
	l->paths = NULL;
	l->n = 0;
}
