/*
 * test_tz.c - the TZif reader (gazette/tz.h): names (shape, traversal,
 * unknown zones), offsets either side of Europe/Berlin's 2026 changes
 * (29 March, 25 October) and far past the file's last transition (the
 * footer rule), the skipped and repeated local hours, a southern zone,
 * and the site zone switch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gazette/tz.h"
#include "gazette/util.h"

/* "2026-03-29T01:00:00Z" -> seconds */
static int64_t at(const char *iso)
{
    int64_t t = gz_time_parse_rfc3339(iso);
    assert_true(t > 0);
    return t;
}

static void test_names(void **state)
{
    (void)state;
    assert_true(gz_tz_name_ok("Europe/Berlin"));
    assert_true(gz_tz_name_ok("UTC"));
    assert_true(gz_tz_name_ok("Etc/GMT+5"));
    assert_true(gz_tz_name_ok("America/Argentina/Buenos_Aires"));
    assert_false(gz_tz_name_ok(""));
    assert_false(gz_tz_name_ok("../../etc/passwd"));
    assert_false(gz_tz_name_ok("Europe/../../etc/passwd"));
    assert_false(gz_tz_name_ok("/etc/passwd"));
    assert_false(gz_tz_name_ok("Europe//Berlin"));
    assert_false(gz_tz_name_ok("Europe/Berlin/"));
    assert_false(gz_tz_name_ok("Europe/.hidden"));
    assert_false(gz_tz_name_ok("Europe/Berlin\n"));
    assert_false(gz_tz_name_ok("Europe Berlin"));
    assert_false(gz_tz_name_ok("Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                               "aaaaaaaaaaaaaaaaaaaaa"));
    assert_null(gz_tz_get("Mars/Olympus_Mons"));
    assert_null(gz_tz_get("../../etc/passwd"));
    assert_null(gz_tz_get("Europe")); /* a directory */
    assert_non_null(gz_tz_get("Europe/Berlin"));
    assert_ptr_equal(gz_tz_get("Europe/Berlin"), gz_tz_get("Europe/Berlin"));
    assert_string_equal(gz_tz_name(gz_tz_get("Europe/Berlin")),
                        "Europe/Berlin");
    assert_ptr_equal(gz_tz_get("UTC"), gz_tz_utc());
}

static void test_berlin_2026(void **state)
{
    (void)state;
    const struct gz_tz *b = gz_tz_get("Europe/Berlin");
    assert_non_null(b);
    /* spring: 01:00 UTC = 02:00 CET becomes 03:00 CEST */
    assert_int_equal(gz_tz_offset(b, at("2026-03-29T00:59:59Z")), 3600);
    assert_string_equal(gz_tz_abbr(b, at("2026-03-29T00:59:59Z")), "CET");
    assert_int_equal(gz_tz_offset(b, at("2026-03-29T01:00:00Z")), 7200);
    assert_string_equal(gz_tz_abbr(b, at("2026-03-29T01:00:00Z")), "CEST");
    /* autumn: 01:00 UTC = 03:00 CEST becomes 02:00 CET */
    assert_int_equal(gz_tz_offset(b, at("2026-10-25T00:59:59Z")), 7200);
    assert_int_equal(gz_tz_offset(b, at("2026-10-25T01:00:00Z")), 3600);
    /* winter and summer schedules: 18:00 local */
    assert_int_equal(gz_tz_from_local(b, at("2026-12-10T18:00:00Z")),
                     at("2026-12-10T17:00:00Z"));
    assert_int_equal(gz_tz_from_local(b, at("2026-07-10T18:00:00Z")),
                     at("2026-07-10T16:00:00Z"));
}

static void test_footer_rule(void **state)
{
    (void)state;
    /* past any fat file's last transition (2037): the footer rule */
    const struct gz_tz *b = gz_tz_get("Europe/Berlin");
    assert_int_equal(gz_tz_offset(b, at("2100-01-15T12:00:00Z")), 3600);
    assert_int_equal(gz_tz_offset(b, at("2100-07-15T12:00:00Z")), 7200);
    /* 2100-03-28 is the last Sunday of March 2100 */
    assert_int_equal(gz_tz_offset(b, at("2100-03-28T00:59:59Z")), 3600);
    assert_int_equal(gz_tz_offset(b, at("2100-03-28T01:00:00Z")), 7200);
    /* southern hemisphere: Sydney, summer in January */
    const struct gz_tz *s = gz_tz_get("Australia/Sydney");
    assert_non_null(s);
    assert_int_equal(gz_tz_offset(s, at("2026-01-15T00:00:00Z")), 39600);
    assert_int_equal(gz_tz_offset(s, at("2026-07-15T00:00:00Z")), 36000);
    assert_int_equal(gz_tz_offset(s, at("2100-01-15T00:00:00Z")), 39600);
    assert_int_equal(gz_tz_offset(s, at("2100-07-15T00:00:00Z")), 36000);
    /* no DST: Tokyo */
    const struct gz_tz *t = gz_tz_get("Asia/Tokyo");
    assert_int_equal(gz_tz_offset(t, at("2100-07-15T00:00:00Z")), 32400);
}

static void test_skipped_and_repeated(void **state)
{
    (void)state;
    const struct gz_tz *b = gz_tz_get("Europe/Berlin");
    /* 02:30 on 29 March 2026 does not exist: moved forward by the gap,
     * to 03:30 CEST = 01:30 UTC */
    assert_int_equal(gz_tz_from_local(b, at("2026-03-29T02:30:00Z")),
                     at("2026-03-29T01:30:00Z"));
    /* 02:00 exactly is skipped too: 03:00 CEST */
    assert_int_equal(gz_tz_from_local(b, at("2026-03-29T02:00:00Z")),
                     at("2026-03-29T01:00:00Z"));
    /* 03:00 is the first valid time */
    assert_int_equal(gz_tz_from_local(b, at("2026-03-29T03:00:00Z")),
                     at("2026-03-29T01:00:00Z"));
    assert_int_equal(gz_tz_from_local(b, at("2026-03-29T01:59:00Z")),
                     at("2026-03-29T00:59:00Z"));
    /* 02:30 on 25 October 2026 happens twice: the first (CEST) */
    assert_int_equal(gz_tz_from_local(b, at("2026-10-25T02:30:00Z")),
                     at("2026-10-25T00:30:00Z"));
    assert_int_equal(gz_tz_from_local(b, at("2026-10-25T03:00:00Z")),
                     at("2026-10-25T02:00:00Z"));
    assert_int_equal(gz_tz_from_local(b, at("2026-10-25T01:59:00Z")),
                     at("2026-10-24T23:59:00Z"));
    /* UTC is the identity */
    assert_int_equal(gz_tz_from_local(gz_tz_utc(), 1234567890), 1234567890);
}

static void test_site_zone(void **state)
{
    (void)state;
    assert_string_equal(gz_tz_name(gz_tz_site()), "UTC");
    gz_tz_site_set("Europe/Berlin");
    assert_string_equal(gz_tz_name(gz_tz_site()), "Europe/Berlin");
    gz_tz_site_set("../etc/passwd");
    assert_string_equal(gz_tz_name(gz_tz_site()), "UTC");
    gz_tz_site_set("Asia/Tokyo");
    gz_tz_site_set("");
    assert_string_equal(gz_tz_name(gz_tz_site()), "UTC");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_berlin_2026),
        cmocka_unit_test(test_footer_rule),
        cmocka_unit_test(test_skipped_and_repeated),
        cmocka_unit_test(test_site_zone),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
