/* SPDX-License-Identifier: MIT */
/*
 * schema.c - "amber-log schema": the names of the audit log as this
 * amber-log knows them (common/audit_schema.h): schema version, record
 * kinds, actions, outcome, loss and rotate reasons, flag names, file types.
 * The --json form is what the Python tests read instead of retyping the
 * names (tests/integration/lib/amber/auditlog.py).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "audit_fmt.h"
#include "audit_schema.h"
#include "log.h"
#include "logtool.h"

typedef const char *(*name_at_fn)(int i);

static const char *kind_at(int i)
{
	return audit_kind_to_string(i);
}

static const char *action_at(int i)
{
	return audit_action_to_string(i);
}

static const char *loss_reason_at(int i)
{
	return audit_loss_reason_to_string(i);
}

static const char *rotate_reason_at(int i)
{
	return audit_rotate_reason_to_string(i);
}

static const char *open_access_at(int i)
{
	return i <= 3 ? audit_open_access_name((unsigned)i) : NULL;
}

static const char *open_flag_at(int i)
{
	size_t n;
	const struct audit_flag_name *t = audit_open_flag_table(&n);

	/* an entry without a bit (a flag this platform lacks) is never written */
	for (size_t k = 0; k < n; k++)
		if (t[k].bit && i-- == 0)
			return t[k].name;
	return NULL;
}

static const char *rename_flag_at(int i)
{
	size_t n;
	const struct audit_flag_name *t = audit_rename_flag_table(&n);

	for (size_t k = 0; k < n; k++)
		if (t[k].bit && i-- == 0)
			return t[k].name;
	return NULL;
}

static const char *file_type_at(int i)
{
	return audit_file_type_name_at((size_t)i);
}

static const struct {
	const char *key, *label;
	name_at_fn at;
} lists[] = {
	{ "kinds", "kinds", kind_at },
	{ "actions", "actions", action_at },
	{ "loss_reasons", "loss reasons", loss_reason_at },
	{ "rotate_reasons", "rotate reasons", rotate_reason_at },
	{ "open_access", "open access modes", open_access_at },
	{ "open_flags", "open flags", open_flag_at },
	{ "rename_flags", "rename flags", rename_flag_at },
	{ "file_types", "file types", file_type_at },
};

static int print_json(void)
{
	struct afmt_buf b = AFMT_BUF_INIT;
	char sep[2] = { AUDIT_LOSS_ERRNO_SEP, '\0' };
	int r = 0;

	afmt_obj_begin(&b);
	afmt_kv_u64(&b, "version", AUDIT_SCHEMA_VERSION);
	for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
		afmt_key(&b, lists[l].key);
		afmt_arr_begin(&b);
		for (int i = 0; lists[l].at(i); i++)
			afmt_strz(&b, lists[l].at(i));
		afmt_arr_end(&b);
	}
	afmt_kv_strz(&b, "outcome", AUDIT_OUTCOME_DENIED);
	afmt_kv_strz(&b, "loss_errno_separator", sep);
	afmt_kv_strz(&b, "time_now", AUDIT_TIME_NOW);
	afmt_obj_end(&b);
	afmt_raw(&b, "\n", 1);
	if (afmt_failed(&b))
		r = -ENOMEM;
	else if (fwrite(b.data, 1, b.len, stdout) != b.len)
		r = -EIO;
	afmt_free(&b);
	return r;
}

static void print_text(void)
{
	printf("schema version %d\n", AUDIT_SCHEMA_VERSION);
	for (size_t l = 0; l < ELEMENTSOF(lists); l++) {
		printf("%s:", lists[l].label);
		for (int i = 0; lists[l].at(i); i++)
			printf(" %s", lists[l].at(i));
		putchar('\n');
	}
	printf("outcome: %s\n", AUDIT_OUTCOME_DENIED);
	printf("a write_error loss reason names the errno after '%c' (write_error%cENOSPC)\n", AUDIT_LOSS_ERRNO_SEP,
	       AUDIT_LOSS_ERRNO_SEP);
	printf("a time argument that means the present: %s\n", AUDIT_TIME_NOW);
}

static void usage(FILE *f)
{
	fputs("Usage: amber-log schema [--json]\n"
	      "\n"
	      "Prints the names this amber-log knows in the audit log: the schema version, the record\n"
	      "kinds, the actions, the outcome, the loss and rotate reasons, the open and rename flag\n"
	      "names and the file types of mknod. --json prints them as one JSON object. The meaning of\n"
	      "each is in docs/audit-log.md.\n",
	      f);
}

int cmd_schema(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{},
	};
	bool json = false;
	int c, r;

	while ((c = getopt_long(argc, argv, "hj", opts, NULL)) >= 0) {
		if (c == 'h') {
			usage(stdout);
			return EXIT_CLEAN;
		} else if (c == 'j') {
			json = true;
		} else {
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!json) {
		print_text();
		return fflush(stdout) == 0 ? EXIT_CLEAN : EXIT_USAGE;
	}
	r = print_json();
	if (r < 0) {
		(void)log_error_errno(r, "schema: %m");
		return EXIT_USAGE;
	}
	return fflush(stdout) == 0 ? EXIT_CLEAN : EXIT_USAGE;
}
