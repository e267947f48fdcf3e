/*
 * util.c - logging, time formatting, randomness, UTF-8 and number checks.
 *
 * Logging writes whole lines with one fprintf under stdio's own lock, so
 * lines from different threads never interleave. Everything is thread-safe.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "gazette/util.h"

static int log_quiet;

void gz_assert_fail(const char *what, const char *file, int line)
{
    fprintf(stderr, "gazette: assertion failed: %s (%s:%d)\n", what, file,
            line);
    abort();
}

static void log_line(const char *level, int id, const char *fmt, va_list ap)
{
    char ts[32], msg[2048];
    gz_time_rfc3339(gz_now(), ts);
    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "%s %s [%04d] %s\n", ts, level, id, msg);
}

void gz_log_info(int id, const char *fmt, ...)
{
    if (log_quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    log_line("info", id, fmt, ap);
    va_end(ap);
}

void gz_log_err(int id, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_line("error", id, fmt, ap);
    va_end(ap);
}

void gz_log_set_quiet(int quiet)
{
    log_quiet = quiet;
}

void gz_log_access(const char *line)
{
    fprintf(stdout, "%s\n", line);
    fflush(stdout);
}

int64_t gz_now(void)
{
    return (int64_t)time(NULL);
}

void gz_time_rfc3339(int64_t t, char out[static 32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int64_t gz_time_parse_rfc3339(const char *s)
{
    int Y, M, D, h, m, sec = 0;
    if (!s || strlen(s) < 16)
        return -1;
    if (digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) ||
        s[7] != '-' || digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &m))
        return -1;
    const char *p = s + 16;
    if (*p == ':') {
        if (digits(p + 1, 2, &sec))
            return -1;
        p += 3;
        if (*p == '.') {
            p++;
            while (*p >= '0' && *p <= '9')
                p++;
        }
    }
    int off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) ||
            oh > 23 || om > 59)
            return -1;
        off = (oh * 60 + om) * 60 * (*p == '+' ? 1 : -1);
        p += 6;
    } else {
        return -1;
    }
    if (*p || M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 ||
        sec > 60 || Y < 1970 || Y > 9999)
        return -1;
    struct tm tm = {0};
    tm.tm_year = Y - 1900;
    tm.tm_mon = M - 1;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    /* timegm normalises 31 February into March: reject such dates. */
    struct tm back;
    gmtime_r(&t, &back);
    if (back.tm_mday != D)
        return -1;
    return (int64_t)t - off;
}

static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed",
                                    "Thu", "Fri", "Sat"};
static const char *const mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const months[] = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};

void gz_time_http(int64_t t, char out[static 40])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d GMT", wdays[tm.tm_wday],
             tm.tm_mday, mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
             tm.tm_min, tm.tm_sec);
}

int64_t gz_time_parse_http(const char *s)
{
    /* IMF-fixdate only: "Sun, 06 Nov 1994 08:49:37 GMT". */
    int D, Y, h, m, sec, M = -1;
    if (!s || strlen(s) != 29 || s[3] != ',' || s[4] != ' ' ||
        digits(s + 5, 2, &D) || s[7] != ' ' || s[11] != ' ' ||
        digits(s + 12, 4, &Y) || s[16] != ' ' || digits(s + 17, 2, &h) ||
        s[19] != ':' || digits(s + 20, 2, &m) || s[22] != ':' ||
        digits(s + 23, 2, &sec) || strcmp(s + 25, " GMT") != 0)
        return -1;
    for (int i = 0; i < 12; i++)
        if (strncmp(s + 8, mons[i], 3) == 0)
            M = i;
    if (M < 0 || D < 1 || D > 31 || h > 23 || m > 59 || sec > 60)
        return -1;
    struct tm tm = {0};
    tm.tm_year = Y - 1900;
    tm.tm_mon = M;
    tm.tm_mday = D;
    tm.tm_hour = h;
    tm.tm_min = m;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    if (back.tm_mday != D) /* 31 February and friends */
        return -1;
    return (int64_t)t;
}

void gz_time_human(int64_t t, char out[static 40])
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    snprintf(out, 40, "%d %s %d", tm.tm_mday, months[tm.tm_mon],
             tm.tm_year + 1900);
}

void gz_size_human(long long bytes, char out[static 32])
{
    if (bytes >= 1048576)
        snprintf(out, 32, "%.3g MB", (double)bytes / 1048576.0);
    else if (bytes >= 1024)
        snprintf(out, 32, "%.3g KB", (double)bytes / 1024.0);
    else
        snprintf(out, 32, "%lld bytes", bytes);
}

int gz_random(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t r = getrandom(p, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return GZ_EIO;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

void gz_hex(const unsigned char *in, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int gz_random_token(char out[static 65])
{
    unsigned char raw[32];
    if (gz_random(raw, sizeof raw) != 0)
        return GZ_EIO;
    gz_hex(raw, sizeof raw, out);
    return 0;
}

int gz_utf8_valid_text(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        unsigned c = *p;
        if (c < 0x80) {
            if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f)
                return 0;
            p++;
            continue;
        }
        int extra;
        unsigned cp;
        if (c >= 0xc2 && c <= 0xdf) {
            extra = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            extra = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (end - p <= extra)
            return 0;
        for (int i = 1; i <= extra; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((extra == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
            (extra == 3 && (cp < 0x10000 || cp > 0x10ffff)))
            return 0;
        p += extra + 1;
    }
    return 1;
}

size_t gz_utf8_len(const char *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xc0) != 0x80)
            count++;
    return count;
}

int gz_parse_int(const char *s, long long min, long long max, long long *out)
{
    if (!s || !*s)
        return GZ_EINVAL;
    for (const char *p = (*s == '-') ? s + 1 : s; *p; p++)
        if (*p < '0' || *p > '9')
            return GZ_EINVAL;
    if (*s == '-' && !s[1])
        return GZ_EINVAL;
    errno = 0;
    char *end;
    long long v = strtoll(s, &end, 10);
    if (errno == ERANGE || *end || v < min || v > max)
        return GZ_EINVAL;
    *out = v;
    return 0;
}

char *gz_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct gz_buf b;
    gz_buf_init(&b);
    char chunk[16384];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (gz_buf_append(&b, chunk, n) != 0) {
            fclose(f);
            gz_buf_free(&b);
            return NULL;
        }
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        gz_buf_free(&b);
        return NULL;
    }
    return gz_buf_steal(&b, len);
}
