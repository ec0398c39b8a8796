/* SPDX-License-Identifier: MIT */
/* Unit tests: escape.c (terminal-safe text) and the exact bytes of a path
 * that is not UTF-8 (record.c, file.path_hex). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escape.h"
#include "record.h"

static char *escaped(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	esc_puts(f, s);
	fclose(f);
	return buf;
}

static char *column(const char *s, size_t width, bool cut)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	esc_column(f, s, width, cut);
	fclose(f);
	return buf;
}

static const struct {
	const char *in, *out;
} cases[] = {
	{ "plain /etc/passwd", "plain /etc/passwd" },
	{ "back\\slash", "back\\\\slash" },
	{ "nl\ntab\tcr\r", "nl\\ntab\\tcr\\r" },
	/* C0 controls and DEL: an ESC sequence that clears the screen */
	{ "\x1b[2J\x1b[1;1Hx\x07\x7f", "\\x1b[2J\\x1b[1;1Hx\\x07\\x7f" },
	/* C1 controls, as UTF-8: CSI U+009B, NEL U+0085, the first and last */
	{ "a\xc2\x9b" "2Jb\xc2\x85\xc2\x80\xc2\x9f", "a\\u009b2Jb\\u0085\\u0080\\u009f" },
	/* bidi: RLO, LRE..RLO, isolates, marks, arabic letter mark */
	{ "evil\xe2\x80\xaetxt.exe", "evil\\u202etxt.exe" },
	{ "\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", "\\u202a\\u202b\\u202c\\u202d" },
	{ "\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9", "\\u2066\\u2067\\u2068\\u2069" },
	{ "\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "\\u200e\\u200f\\u061c" },
	{ "line\xe2\x80\xa8para\xe2\x80\xa9", "line\\u2028para\\u2029" },
	/* valid UTF-8 stays, U+FFFD too (as the writer puts it in names) */
	{ "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xef\xbf\xbd", "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xef\xbf\xbd" },
	/* invalid UTF-8: each bad byte as \xNN, never U+FFFD */
	{ "/etc/pa\xff\xfess", "/etc/pa\\xff\\xfess" },
	{ "\x80\xbf", "\\x80\\xbf" },                       /* lone continuation bytes */
	{ "\xc0\xaf", "\\xc0\\xaf" },                       /* overlong '/' */
	{ "\xe0\x80\xaf", "\\xe0\\x80\\xaf" },              /* overlong, 3 bytes */
	{ "\xed\xa0\x80", "\\xed\\xa0\\x80" },              /* a surrogate */
	{ "\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80" },     /* > U+10FFFF */
	{ "\xe2\x80", "\\xe2\\x80" },                       /* cut short */
	{ "\xc2" "A", "\\xc2" "A" },                        /* lead byte, no continuation */
	{ "\xc2\x9b", "\\u009b" },                          /* but a valid C1 is \u */
	{ "", "" },
};

static void test_escape_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = escaped(cases[i].in);
		if (strcmp(got, cases[i].out) != 0)
			fail_msg("case %zu: got '%s', want '%s'", i, got, cases[i].out);
		free(got);
		got = esc_strdup(cases[i].in);
		assert_string_equal(got, cases[i].out);
		free(got);
	}
}

/* Fails unless out is valid UTF-8 without a C0 control, DEL, C1 control,
 * bidi or separator character. */
static void assert_terminal_safe(const char *out)
{
	const unsigned char *p = (const unsigned char *)out;
	size_t n = strlen(out);

	assert_true(esc_utf8_valid(out, n));
	for (size_t i = 0; i < n;) {
		unsigned cp = p[i], len = 1;
		if (p[i] >= 0xf0)
			cp = p[i] & 0x07, len = 4;
		else if (p[i] >= 0xe0)
			cp = p[i] & 0x0f, len = 3;
		else if (p[i] >= 0xc0)
			cp = p[i] & 0x1f, len = 2;
		for (unsigned k = 1; k < len; k++)
			cp = cp << 6 | (p[i + k] & 0x3f);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x61c || cp == 0x200e || cp == 0x200f ||
		    (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
			fail_msg("U+%04X in the output '%s'", cp, out);
		i += len;
	}
}

/* Whatever comes in, the output is terminal-safe: every two-byte string,
 * each followed by the lead bytes of the dangerous characters. */
static void test_escape_output_is_safe(void **state)
{
	(void)state;
	for (unsigned a = 0; a < 256; a++)
		for (unsigned b = 0; b < 256; b++) {
			char in[] = { (char)(a ? a : 'x'), (char)(b ? b : 'y'), '\xe2', '\x80', (char)(b | 0x80),
				      '\xe2', '\x81', (char)(b | 0x80), '\xd8', (char)(b | 0x80), '\xc2', (char)(b | 0x80),
				      0 };
			char *out = escaped(in);
			assert_terminal_safe(out);
			free(out);
		}
}

static void test_column_never_cuts_an_escape(void **state)
{
	char *got;

	(void)state;
	/* "\x1b[2J\x1b[1;1H": 7 + 8 columns; cut at 15 keeps whole units only */
	got = column("\x1b[2J\x1b[1;1Hevil", 15, true);
	assert_string_equal(got, "\\x1b[2J\\x1b[1;1");
	free(got);
	/* at 5 the second unit (\x1b is 4 wide) does not fit after "ab" */
	got = column("ab\x1b" "c", 5, true);
	assert_string_equal(got, "ab   ");
	free(got);
	got = column("ab\xe2\x80\xae", 7, true);
	assert_string_equal(got, "ab     "); /* \u202e is 6 wide: left out whole */
	free(got);
	got = column("ab\xe2\x80\xae", 8, true);
	assert_string_equal(got, "ab\\u202e");
	free(got);
	/* a multibyte character is one column and is never split */
	got = column("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e", 2, true);
	assert_string_equal(got, "\xe6\x97\xa5\xe6\x9c\xac");
	free(got);
	/* padding, and no cut when cut is false */
	got = column("sh", 5, true);
	assert_string_equal(got, "sh   ");
	free(got);
	got = column("\x1b\x1b", 3, false);
	assert_string_equal(got, "\\x1b\\x1b");
	free(got);
	got = column(NULL, 2, true);
	assert_string_equal(got, "  ");
	free(got);
}

static void test_json_add_bytes(void **state)
{
	struct json_object *o = json_object_new_object();

	(void)state;
	assert_int_equal(esc_json_add_bytes(o, "path", "/etc/passwd"), 0);
	assert_int_equal(esc_json_add_bytes(o, "bad", "/a\xff" "b"), 0);
	assert_int_equal(esc_json_add_bytes(o, "none", NULL), 0);
	assert_string_equal(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN),
			    "{\"path\":\"\\/etc\\/passwd\",\"bad\":\"\\/a\xef\xbf\xbd" "b\","
			    "\"bad_hex\":\"2f61ff62\",\"none\":null}");
	json_object_put(o);
}

static void parse(struct record *rec, const char *line)
{
	assert_int_equal(record_parse(NULL, line, strlen(line), rec), RECORD_OK);
}

/* file.path_hex gives the exact bytes of a name that is not UTF-8. */
static void test_record_path_exact(void **state)
{
	struct record rec = {0};

	(void)state;
	parse(&rec, "{\"v\":1,\"seq\":2,\"ts\":\"t\",\"kind\":\"attempt\",\"file\":{\"path\":\"/a\\ufffdb\","
		    "\"path_hex\":\"2f61ff62\",\"new_path\":\"/n\\ufffd\",\"new_path_hex\":\"2f6e80\"},\"prev\":\"x\"}");
	assert_string_equal(rec.path, "/a\xef\xbf\xbd" "b");
	assert_string_equal(rec.path_exact, "/a\xff" "b");
	assert_string_equal(rec.new_path_exact, "/n\x80");
	/* no path_hex: the same string */
	parse(&rec, "{\"v\":1,\"seq\":2,\"ts\":\"t\",\"kind\":\"attempt\",\"file\":{\"path\":\"/ok\"},\"prev\":\"x\"}");
	assert_ptr_equal(rec.path_exact, rec.path);
	assert_null(rec.new_path_exact);
	/* malformed hex (odd, not hex, a NUL byte): ignored, the UTF-8 path stays */
	static const char *const bad[] = { "2f6", "2g61", "2f0061", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		char line[256];
		snprintf(line, sizeof(line),
			 "{\"v\":1,\"seq\":2,\"ts\":\"t\",\"kind\":\"attempt\",\"file\":{\"path\":\"/p\","
			 "\"path_hex\":\"%s\"},\"prev\":\"x\"}", bad[i]);
		parse(&rec, line);
		assert_string_equal(rec.path_exact, "/p");
	}
	/* path_hex outside "file" is not the file's */
	parse(&rec, "{\"v\":1,\"seq\":2,\"ts\":\"t\",\"kind\":\"attempt\",\"path_hex\":\"2f61ff62\","
		    "\"file\":{\"path\":\"/q\"},\"prev\":\"x\"}");
	assert_string_equal(rec.path_exact, "/q");
	record_clear(&rec);
	record_parser_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_table),
		cmocka_unit_test(test_escape_output_is_safe),
		cmocka_unit_test(test_column_never_cuts_an_escape),
		cmocka_unit_test(test_json_add_bytes),
		cmocka_unit_test(test_record_path_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
