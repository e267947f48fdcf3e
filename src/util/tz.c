/*
 * tz.c - a small TZif reader (RFC 8536) for the site's time zone.
 *
 * Why our own reader: the C library converts in a named zone only through
 * the process-wide TZ variable and tzset(), which other threads read at the
 * same moment (localtime_r, strftime): changing it per request is a data
 * race. The files are simple, so we read the version 2+ block (64-bit
 * transition times), keep its transitions and types, and for instants past
 * the last transition apply the POSIX TZ rule of the footer
 * ("CET-1CEST,M3.5.0,M10.5.0/3"; the Mm.w.d form, which every zone of the
 * database uses; other forms fall back to the last transition's type).
 *
 * A loaded zone is immutable and never freed; zones are cached by name in
 * a list under one mutex (at most MAX_ZONES). The site's zone is one
 * atomic pointer.
 *
 * Names are checked for shape before any file is opened (no "..", no
 * leading '/', a 64-byte cap), and a file must start with the TZif magic.
 */
#include "gazette/tz.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gazette/util.h"

#define MAX_ZONES 700
#define MAX_FILE (256 * 1024)

struct ttype {
    int32_t off;
    int isdst;
    char abbr[16];
};

struct rule_end {
    int month, week, wday; /* Mm.w.d */
    long time;             /* seconds after local midnight */
};

struct gz_tz {
    char name[65];
    size_t n_trans, n_types;
    int64_t *trans; /* ascending UTC instants */
    unsigned char *idx;
    struct ttype *types;
    /* the footer rule, when has_rule */
    int has_std, has_rule;
    struct ttype std, dst;
    struct rule_end start, end;
    struct gz_tz *next;
};

static struct gz_tz utc_zone = {
    .name = "UTC",
    .has_std = 1,
    .std = {0, 0, "UTC"},
};

static pthread_mutex_t zones_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gz_tz *zones;
static size_t n_zones;
static _Atomic(const struct gz_tz *) site_zone = &utc_zone;

/* ---- names ---------------------------------------------------------------
 */

int gz_tz_name_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 64 || name[0] == '/' || name[n - 1] == '/')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        int part_start = i == 0 || name[i - 1] == '/';
        if (part_start && (c == '.' || c == '/' || c == '-'))
            return 0;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '+' || c == '-' ||
              c == '/'))
            return 0;
    }
    return 1;
}

/* ---- the POSIX TZ footer ------------------------------------------------- */

static const char *parse_abbr(const char *p, char out[16])
{
    size_t n = 0;
    if (*p == '<') {
        p++;
        while (*p && *p != '>') {
            if (n < 15)
                out[n++] = *p;
            p++;
        }
        if (*p != '>')
            return NULL;
        p++;
    } else {
        while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) {
            if (n < 15)
                out[n++] = *p;
            p++;
        }
    }
    out[n] = '\0';
    return n >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] (hours up to 167, as RFC 8536 allows in rule times). */
static const char *parse_hms(const char *p, long *out)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    long v[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++) {
        if (k > 0) {
            if (*p != ':')
                break;
            p++;
        }
        if (!(*p >= '0' && *p <= '9'))
            return NULL;
        long x = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 3) {
            x = x * 10 + (*p++ - '0');
            digits++;
        }
        v[k] = x;
    }
    if (v[0] > 167 || v[1] > 59 || v[2] > 59)
        return NULL;
    *out = sign * (v[0] * 3600 + v[1] * 60 + v[2]);
    return p;
}

static const char *parse_rule_end(const char *p, struct rule_end *e)
{
    if (*p != 'M')
        return NULL; /* Jn and n: not used by the database */
    p++;
    int v[3];
    for (int k = 0; k < 3; k++) {
        if (k > 0 && *p++ != '.')
            return NULL;
        if (!(*p >= '0' && *p <= '9'))
            return NULL;
        v[k] = 0;
        while (*p >= '0' && *p <= '9' && v[k] < 100)
            v[k] = v[k] * 10 + (*p++ - '0');
    }
    if (v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 5 || v[2] > 6)
        return NULL;
    e->month = v[0];
    e->week = v[1];
    e->wday = v[2];
    e->time = 7200;
    if (*p == '/' && !(p = parse_hms(p + 1, &e->time)))
        return NULL;
    return p;
}

static void parse_footer(struct gz_tz *tz, const char *s)
{
    long off;
    const char *p = parse_abbr(s, tz->std.abbr);
    if (!p || !(p = parse_hms(p, &off)))
        return;
    tz->std.off = (int32_t)-off; /* POSIX counts west */
    tz->has_std = 1;
    if (!*p)
        return;
    struct ttype dst = {tz->std.off + 3600, 1, ""};
    if (!(p = parse_abbr(p, dst.abbr)))
        return;
    if (*p && *p != ',') {
        if (!(p = parse_hms(p, &off)))
            return;
        dst.off = (int32_t)-off;
    }
    if (*p != ',' || !(p = parse_rule_end(p + 1, &tz->start)) || *p != ',' ||
        !(p = parse_rule_end(p + 1, &tz->end)) || *p)
        return;
    tz->dst = dst;
    tz->has_rule = 1;
}

/* ---- calendar -------------------------------------------------------------
 */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int64_t year_of(int64_t t)
{
    int64_t z = (t >= 0 ? t : t - 86399) / 86400 + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    return yoe + era * 400 + (m <= 2);
}

/* The local wall-clock second (as if UTC) at which rule end e happens in
 * year y. */
static int64_t rule_local(int64_t y, const struct rule_end *e)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t first = days_from_civil(y, e->month, 1);
    int wday_first = (int)(((first % 7) + 11) % 7); /* 1970-01-01: Thu */
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int dim = mdays[e->month - 1] + (e->month == 2 && leap);
    int day = 1 + (e->wday - wday_first + 7) % 7 + (e->week - 1) * 7;
    while (day > dim)
        day -= 7;
    return (first + day - 1) * 86400 + e->time;
}

static const struct ttype *rule_type(const struct gz_tz *tz, int64_t utc)
{
    int64_t y = year_of(utc + tz->std.off);
    int64_t start = rule_local(y, &tz->start) - tz->std.off;
    int64_t end = rule_local(y, &tz->end) - tz->dst.off;
    int in_dst =
        start < end ? utc >= start && utc < end : !(utc >= end && utc < start);
    return in_dst ? &tz->dst : &tz->std;
}

static const struct ttype *type_at(const struct gz_tz *tz, int64_t utc)
{
    if (tz->n_trans == 0 || utc < tz->trans[0]) {
        if (tz->n_trans == 0 && tz->has_rule)
            return rule_type(tz, utc);
        if (tz->n_types > 0)
            return &tz->types[0];
        return &tz->std;
    }
    size_t lo = 0, hi = tz->n_trans; /* trans[lo] <= utc < trans[hi] */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= utc)
            lo = mid;
        else
            hi = mid;
    }
    if (lo == tz->n_trans - 1 && tz->has_rule)
        return rule_type(tz, utc);
    return &tz->types[tz->idx[lo]];
}

long gz_tz_offset(const struct gz_tz *tz, int64_t utc)
{
    return type_at(tz ? tz : &utc_zone, utc)->off;
}

const char *gz_tz_abbr(const struct gz_tz *tz, int64_t utc)
{
    return type_at(tz ? tz : &utc_zone, utc)->abbr;
}

int64_t gz_tz_from_local(const struct gz_tz *tz, int64_t local)
{
    /* Any transition that matters lies within a day of local. */
    long before = gz_tz_offset(tz, local - 86400);
    long after = gz_tz_offset(tz, local + 86400);
    int64_t u1 = local - before, u2 = local - after;
    int ok1 = gz_tz_offset(tz, u1) == before;
    int ok2 = gz_tz_offset(tz, u2) == after;
    if (ok1 && ok2)
        return u1 < u2 ? u1 : u2; /* repeated: the first */
    if (ok1)
        return u1;
    if (ok2)
        return u2;
    /* skipped: read with the offset before the gap, which lands after it,
     * later by the gap */
    return local - before;
}

const char *gz_tz_name(const struct gz_tz *tz)
{
    return tz ? tz->name : utc_zone.name;
}

const struct gz_tz *gz_tz_utc(void)
{
    return &utc_zone;
}

/* ---- reading a file ------------------------------------------------------
 */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct header {
    uint32_t isut, isstd, leap, time, type, chr;
};

static int read_header(const unsigned char *p, size_t n, struct header *h)
{
    if (n < 44 || memcmp(p, "TZif", 4) != 0)
        return -1;
    h->isut = be32(p + 20);
    h->isstd = be32(p + 24);
    h->leap = be32(p + 28);
    h->time = be32(p + 32);
    h->type = be32(p + 36);
    h->chr = be32(p + 40);
    if (h->type == 0 || h->type > 256 || h->time > 100000 || h->chr > 1000 ||
        h->leap > 1000 || h->isut > h->type || h->isstd > h->type)
        return -1;
    return 0;
}

static size_t block_len(const struct header *h, int tsize)
{
    return (size_t)h->time * tsize + h->time + (size_t)h->type * 6 + h->chr +
           (size_t)h->leap * (tsize + 4) + h->isstd + h->isut;
}

/* Parses a TZif image into tz (name already set): 0, or -1. */
static int parse_tzif(struct gz_tz *tz, const unsigned char *p, size_t n)
{
    struct header h;
    if (read_header(p, n, &h) != 0)
        return -1;
    int tsize = 4;
    if (p[4] >= '2') {
        size_t skip = 44 + block_len(&h, 4);
        if (skip > n)
            return -1;
        p += skip;
        n -= skip;
        if (read_header(p, n, &h) != 0)
            return -1;
        tsize = 8;
    }
    size_t need = 44 + block_len(&h, tsize);
    if (need > n)
        return -1;
    const unsigned char *q = p + 44;
    tz->trans = calloc(h.time ? h.time : 1, sizeof *tz->trans);
    tz->idx = calloc(h.time ? h.time : 1, 1);
    tz->types = calloc(h.type, sizeof *tz->types);
    if (!tz->trans || !tz->idx || !tz->types)
        return -1;
    for (uint32_t i = 0; i < h.time; i++, q += tsize) {
        tz->trans[i] = tsize == 8 ? be64(q) : (int32_t)be32(q);
        if (i > 0 && tz->trans[i] <= tz->trans[i - 1])
            return -1;
    }
    for (uint32_t i = 0; i < h.time; i++, q++) {
        if (*q >= h.type)
            return -1;
        tz->idx[i] = *q;
    }
    const unsigned char *types = q;
    const char *chars = (const char *)(q + (size_t)h.type * 6);
    for (uint32_t i = 0; i < h.type; i++) {
        const unsigned char *t = types + (size_t)i * 6;
        int32_t off = (int32_t)be32(t);
        if (off < -89999 || off > 93599 || t[5] >= h.chr)
            return -1;
        tz->types[i].off = off;
        tz->types[i].isdst = t[4] != 0;
        size_t k = 0;
        for (size_t j = t[5]; j < h.chr && chars[j] && k < 15; j++)
            tz->types[i].abbr[k++] = chars[j];
        tz->types[i].abbr[k] = '\0';
    }
    tz->n_trans = h.time;
    tz->n_types = h.type;
    tz->std = tz->types[0];
    /* the footer: "\n<TZ string>\n" */
    if (tsize == 8 && need < n && p[need] == '\n') {
        const char *f = (const char *)p + need + 1;
        const char *e = memchr(f, '\n', n - need - 1);
        if (e && e - f < 120) {
            char footer[128];
            memcpy(footer, f, (size_t)(e - f));
            footer[e - f] = '\0';
            parse_footer(tz, footer);
        }
    }
    return 0;
}

static void zone_free(struct gz_tz *tz)
{
    if (!tz)
        return;
    free(tz->trans);
    free(tz->idx);
    free(tz->types);
    free(tz);
}

static struct gz_tz *zone_load(const char *name)
{
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/%s",
             dir && *dir ? dir : "/usr/share/zoneinfo", name);
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size < 44 ||
        sb.st_size > MAX_FILE)
        return NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    unsigned char *buf = malloc((size_t)sb.st_size);
    size_t n = buf ? fread(buf, 1, (size_t)sb.st_size, f) : 0;
    fclose(f);
    struct gz_tz *tz = calloc(1, sizeof *tz);
    if (tz) {
        snprintf(tz->name, sizeof tz->name, "%s", name);
        if (!buf || parse_tzif(tz, buf, n) != 0) {
            zone_free(tz);
            tz = NULL;
        }
    }
    free(buf);
    return tz;
}

const struct gz_tz *gz_tz_get(const char *name)
{
    if (!gz_tz_name_ok(name))
        return NULL;
    if (!strcmp(name, "UTC"))
        return &utc_zone;
    pthread_mutex_lock(&zones_lock);
    struct gz_tz *z;
    for (z = zones; z; z = z->next)
        if (!strcmp(z->name, name))
            break;
    if (!z && n_zones < MAX_ZONES && (z = zone_load(name))) {
        z->next = zones;
        zones = z;
        n_zones++;
    }
    pthread_mutex_unlock(&zones_lock);
    return z;
}

int gz_tz_each(void (*fn)(void *cls, const char *name), void *cls)
{
    const char *dir = getenv("TZDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/zone1970.tab",
             dir && *dir ? dir : "/usr/share/zoneinfo");
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        /* codes TAB coordinates TAB zone [TAB comments] */
        char *a = strchr(line, '\t');
        char *b = a ? strchr(a + 1, '\t') : NULL;
        if (!b)
            continue;
        char *name = b + 1;
        name[strcspn(name, "\t\r\n")] = '\0';
        if (gz_tz_name_ok(name)) {
            fn(cls, name);
            n++;
        }
    }
    fclose(f);
    return n;
}

const struct gz_tz *gz_tz_site(void)
{
    return atomic_load(&site_zone);
}

void gz_tz_site_set(const char *name)
{
    const struct gz_tz *cur = atomic_load(&site_zone);
    if (name && !strcmp(cur->name, name))
        return;
    const struct gz_tz *z = name && *name ? gz_tz_get(name) : NULL;
    atomic_store(&site_zone, z ? z : &utc_zone);
}
