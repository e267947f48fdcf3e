/*
 * tz.h - the site's time zone: a small reader of the system's TZif files
 * (RFC 8536, /usr/share/zoneinfo, or $TZDIR) so that local <-> UTC
 * conversions never touch the process-wide TZ / tzset (not thread-safe).
 *
 * A zone, once loaded, is immutable and lives until the process exits
 * (zones are cached by name under a lock), so any thread may keep and
 * use the pointer gz_tz_get returns without further locking.
 */
#ifndef GAZETTE_TZ_H
#define GAZETTE_TZ_H

#include <stdint.h>

struct gz_tz;

/* 1 when name has the shape of an IANA zone name ("Europe/Berlin",
 * "UTC", "America/Argentina/Buenos_Aires", "Etc/GMT+5"): letters,
 * digits, '_', '+', '-' and '/' between parts, no part starting with
 * '.', at most 64 bytes. Says nothing on whether the zone exists. */
int gz_tz_name_ok(const char *name);

/* The zone called name, loaded from the tz database on first use and
 * cached; NULL when the name is malformed or no valid TZif file has that
 * name. Never free it. */
const struct gz_tz *gz_tz_get(const char *name);

/* The built-in UTC zone (never NULL). */
const struct gz_tz *gz_tz_utc(void);

/* The zone's name, as given to gz_tz_get. */
const char *gz_tz_name(const struct gz_tz *tz);

/* Seconds east of UTC in force at utc, and its abbreviation ("CET",
 * "CEST", "+07"; borrowed from tz). */
long gz_tz_offset(const struct gz_tz *tz, int64_t utc);
const char *gz_tz_abbr(const struct gz_tz *tz, int64_t utc);

/* The UTC instant of a wall-clock time in tz, given as the seconds since
 * the epoch that wall-clock reading would be in UTC. A time in a skipped
 * hour (spring forward) moves forward by the gap (02:30 -> 03:30 CEST); a
 * time in a repeated hour (fall back) is its first occurrence. */
int64_t gz_tz_from_local(const struct gz_tz *tz, int64_t local);

/* Calls fn(cls, name) for each zone of the database's zone1970.tab (the
 * zones people pick from, in file order) and returns how many; 0 when the
 * file is missing. Names are checked with gz_tz_name_ok. */
int gz_tz_each(void (*fn)(void *cls, const char *name), void *cls);

/* The site's zone, as last set (UTC until then). gz_tz_site_set(name)
 * switches it when name differs from the current one and is a valid
 * zone (an invalid name means UTC). Both are thread-safe and cheap when
 * nothing changes. */
const struct gz_tz *gz_tz_site(void);
void gz_tz_site_set(const char *name);

#endif
