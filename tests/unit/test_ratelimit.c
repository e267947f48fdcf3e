/*
 * test_ratelimit.c - the in-memory rate limits of http.h: a key is allowed
 * `max` events per window and then told how long to wait; keys do not
 * affect each other; clearing forgets; peeking does not count; a flood of
 * one-off keys, more than the table holds, does not push out a key that
 * is being limited.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "gazette/http.h"

static void test_limit_then_wait(void **state)
{
    (void)state;
    for (int i = 0; i < 5; i++)
        assert_int_equal(gz_ratelimit_hit("t1:a", 5, 60), 0);
    int wait = gz_ratelimit_hit("t1:a", 5, 60);
    assert_true(wait > 0 && wait <= 60);
    /* A refused event is not recorded: the wait does not grow. */
    assert_true(gz_ratelimit_hit("t1:a", 5, 60) <= wait);
    assert_int_equal(gz_ratelimit_hit("t1:b", 5, 60), 0);
}

static void test_peek_does_not_count(void **state)
{
    (void)state;
    for (int i = 0; i < 10; i++)
        assert_int_equal(gz_ratelimit_peek("t2:a", 1, 60), 0);
    assert_int_equal(gz_ratelimit_hit("t2:a", 1, 60), 0);
    assert_true(gz_ratelimit_peek("t2:a", 1, 60) > 0);
}

static void test_clear_forgets(void **state)
{
    (void)state;
    assert_int_equal(gz_ratelimit_hit("t3:a", 1, 60), 0);
    assert_true(gz_ratelimit_hit("t3:a", 1, 60) > 0);
    gz_ratelimit_clear("t3:a");
    assert_int_equal(gz_ratelimit_hit("t3:a", 1, 60), 0);
}

static void test_many_other_keys(void **state)
{
    (void)state;
    /* Twenty thousand one-off keys (the table holds 4096): the limited
     * key has more recent events than any of them, so newcomers take
     * other slots and it stays limited. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(gz_ratelimit_hit("t4:victim", 3, 600), 0);
    char key[64];
    for (int i = 0; i < 20000; i++) {
        snprintf(key, sizeof key, "t4:filler-%d", i);
        gz_ratelimit_hit(key, 3, 600);
        if (i % 500 == 0)
            assert_true(gz_ratelimit_peek("t4:victim", 3, 600) > 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_then_wait),
        cmocka_unit_test(test_peek_does_not_count),
        cmocka_unit_test(test_clear_forgets),
        cmocka_unit_test(test_many_other_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
