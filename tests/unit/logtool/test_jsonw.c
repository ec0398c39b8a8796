/* SPDX-License-Identifier: MIT */
/* Unit tests: jsonw.c (the JSON writer of export). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <json-c/json.h>
#include <string.h>

#include "jsonw.h"

static void test_nesting_and_escapes(void **state)
{
	struct jsonw w = {0};
	struct json_object *o;

	(void)state;
	jw_reset(&w);
	jw_obj(&w);
	jw_kstr(&w, "s", "a\"b\\c\n\t\x01/\xc3\xa4");
	jw_kint(&w, "i", -42);
	jw_key(&w, "a");
	jw_arr(&w);
	jw_str(&w, NULL);
	jw_int(&w, 1);
	jw_obj(&w);
	jw_end_obj(&w);
	jw_end_arr(&w);
	jw_key(&w, "raw");
	jw_raw(&w, "{\"x\":[1,2]}", 11);
	jw_end_obj(&w);
	w.buf[w.len] = '\0';
	assert_string_equal(w.buf, "{\"s\":\"a\\\"b\\\\c\\n\\t\\u0001/\xc3\xa4\",\"i\":-42,\"a\":[null,1,{}],\"raw\":{\"x\":[1,2]}}");
	o = json_tokener_parse(w.buf);
	assert_non_null(o);
	assert_string_equal(json_object_get_string(json_object_object_get(o, "s")), "a\"b\\c\n\t\x01/\xc3\xa4");
	json_object_put(o);
	jw_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nesting_and_escapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
