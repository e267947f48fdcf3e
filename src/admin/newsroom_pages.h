/*
 * newsroom_pages.h - helpers the newsroom's pages share (stories.c,
 * media.c, users.c, settings.c). Private to src/admin/.
 */
#ifndef GAZETTE_ADMIN_NEWSROOM_PAGES_H
#define GAZETTE_ADMIN_NEWSROOM_PAGES_H

#include <jansson.h>

#include "gazette/http.h"

/* A form field as a string, "" when absent. Borrowed from the request. */
const char *gz_newsroom_field(struct gz_req *req, const char *name);


/* Sets model.section.<name> = true, which _admin_nav uses to mark the
 * current section (aria-current). */
void gz_newsroom_section(json_t *model, const char *name);

/* "25 November 2026, 19:26 CET" into out (at least 64 bytes): in the
 * site's time zone (gazette/tz.h), named by its abbreviation. */
void gz_newsroom_when(long long t, char *out, size_t outlen);
/* "25 Nov 2026, 19:26" into out (at least 32 bytes), for lists: in the
 * site's time zone. */
void gz_newsroom_when_short(long long t, char *out, size_t outlen);
/* Sets model.zone = {name, abbr, utc_offset ("UTC+01:00")}: the site's
 * time zone now, for the fields that take a time. */
void gz_newsroom_zone(json_t *model);

/* The story of the route's :id (owned), or NULL with *status 404 or 500
 * (stories.c; the history pages use it too). */
json_t *gz_admin_route_story(struct gz_req *req, int *status);

/* Small readers the story pages (stories.c, history.c) share. */
static inline int is_editor(const struct gz_user *me)
{
    return me && me->role >= GZ_ROLE_EDITOR;
}

/* The string at key, or "" (never NULL). */
static inline const char *str_of(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static inline long long int_of(json_t *o, const char *key)
{
    return json_integer_value(json_object_get(o, key));
}

#endif
