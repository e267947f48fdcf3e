/*
 * util.h - small shared pieces: error codes, the growable string buffer,
 * numbered logging, time formatting and random tokens.
 *
 * Everything here is thread-safe unless a function says otherwise.
 */
#ifndef GAZETTE_UTIL_H
#define GAZETTE_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

enum gz_err {
    GZ_OK = 0,
    GZ_ENOMEM = -1,
    GZ_EINVAL = -2,
    GZ_ENOTFOUND = -3,
    GZ_EDB = -4,
    GZ_EIO = -5,
    GZ_ECONFLICT = -6,
    GZ_ETOOBIG = -7,
    GZ_EFORBIDDEN = -8,
};

/* Invariant check: the only thing allowed to abort the process. */
#define GZ_ASSERT(cond)                                                     \
    do {                                                                    \
        if (!(cond))                                                        \
            gz_assert_fail(#cond, __FILE__, __LINE__);                      \
    } while (0)
void gz_assert_fail(const char *what, const char *file, int line);

/*
 * Growable byte buffer, always NUL-terminated once anything was appended.
 * Zero-initialise it (or call gz_buf_init) before use; gz_buf_free releases.
 * Appends return 0 or GZ_ENOMEM; after a failed append the buffer keeps what
 * it had.
 */
struct gz_buf {
    char *data;
    size_t len;
    size_t cap;
};

void gz_buf_init(struct gz_buf *b);
void gz_buf_free(struct gz_buf *b);
void gz_buf_reset(struct gz_buf *b); /* length 0, keeps the memory */
int gz_buf_reserve(struct gz_buf *b, size_t extra);
int gz_buf_append(struct gz_buf *b, const void *s, size_t n);
int gz_buf_puts(struct gz_buf *b, const char *s);
int gz_buf_putc(struct gz_buf *b, char c);
int gz_buf_printf(struct gz_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the data to the caller (free() it); the buffer is left empty. */
char *gz_buf_steal(struct gz_buf *b, size_t *len);
/* Never NULL: "" for an empty buffer. Borrowed. */
const char *gz_buf_cstr(const struct gz_buf *b);

/*
 * Logging. Every call site has a permanent numeric id, never reused; a unit
 * test checks they are unique. Lines go to stderr, one per call, with a UTC
 * timestamp. gz_log_set_quiet(1) silences info lines (tests).
 */
void gz_log_info(int id, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void gz_log_err(int id, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void gz_log_set_quiet(int quiet);
/* Access log: written as-is, one line, to stdout. */
void gz_log_access(const char *line);

/* Time. All values are UTC seconds since the epoch. */
int64_t gz_now(void);
/* RFC 3339 "2026-11-25T18:26:48Z" into out (at least 21 bytes). */
void gz_time_rfc3339(int64_t t, char out[static 32]);
/* Parses RFC 3339 with Z or +hh:mm offsets (seconds optional); -1 if bad. */
int64_t gz_time_parse_rfc3339(const char *s);
/* RFC 7231 / RFC 822 date "Wed, 25 Nov 2026 18:26:48 GMT". */
void gz_time_http(int64_t t, char out[static 40]);
/* Parses the RFC 7231 IMF-fixdate; -1 if bad. */
int64_t gz_time_parse_http(const char *s);
/* Human date for pages: "25 November 2026". */
void gz_time_human(int64_t t, char out[static 40]);
/* A size as the newsroom states it: "10 MB" for 10 MiB, "512 KB",
 * "1.5 MB" (binary units with the usual short names, as limits are set).
 * The one wording of server.max_upload_bytes in forms and errors. */
void gz_size_human(long long bytes, char out[static 32]);

/* Random bytes from getrandom(); 0 or GZ_EIO. */
int gz_random(void *buf, size_t n);
/* 32 random bytes as 64 lowercase hex chars + NUL. */
int gz_random_token(char out[static 65]);
/* Lowercase hex of n bytes into out (2n+1 bytes). */
void gz_hex(const unsigned char *in, size_t n, char *out);

/* Checks that s[0..n) is valid UTF-8 with no NUL and no C0 controls other
 * than tab, CR and LF. Returns 1 when valid. */
int gz_utf8_valid_text(const char *s, size_t n);
/* Number of code points in valid UTF-8. */
size_t gz_utf8_len(const char *s, size_t n);

/* strtoll with full checks: decimal only, no trailing junk, in [min,max].
 * 0 on success, GZ_EINVAL otherwise. */
int gz_parse_int(const char *s, long long min, long long max, long long *out);

/* Reads a whole file into a malloc'd NUL-terminated buffer. NULL on error. */
char *gz_read_file(const char *path, size_t *len);

#endif
