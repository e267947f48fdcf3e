/*
 * buf.c - the growable string buffer of util.h.
 *
 * A gz_buf owns its memory; it grows by doubling so appends are amortised
 * O(1). Not thread-safe: a buffer belongs to one thread at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/util.h"

void gz_buf_init(struct gz_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void gz_buf_free(struct gz_buf *b)
{
    free(b->data);
    gz_buf_init(b);
}

void gz_buf_reset(struct gz_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int gz_buf_reserve(struct gz_buf *b, size_t extra)
{
    if (extra > SIZE_MAX / 2 - b->len - 1)
        return GZ_ENOMEM;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p)
        return GZ_ENOMEM;
    b->data = p;
    b->cap = cap;
    b->data[b->len] = '\0'; /* terminated even before the first append */
    return 0;
}

int gz_buf_append(struct gz_buf *b, const void *s, size_t n)
{
    if (gz_buf_reserve(b, n) != 0)
        return GZ_ENOMEM;
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int gz_buf_puts(struct gz_buf *b, const char *s)
{
    return gz_buf_append(b, s, strlen(s));
}

int gz_buf_putc(struct gz_buf *b, char c)
{
    return gz_buf_append(b, &c, 1);
}

int gz_buf_printf(struct gz_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || gz_buf_reserve(b, (size_t)n) != 0) {
        va_end(ap2);
        return GZ_ENOMEM;
    }
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    b->len += (size_t)n;
    return 0;
}

char *gz_buf_steal(struct gz_buf *b, size_t *len)
{
    if (!b->data && gz_buf_reserve(b, 0) != 0)
        return NULL;
    char *p = b->data;
    if (len)
        *len = b->len;
    gz_buf_init(b);
    return p;
}

const char *gz_buf_cstr(const struct gz_buf *b)
{
    return b->data ? b->data : "";
}
