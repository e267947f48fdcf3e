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

/* "25 November 2026, 18:26 UTC" into out (at least 64 bytes). */
void gz_newsroom_when(long long t, char *out, size_t outlen);
/* "25 Nov 2026, 18:26" into out (at least 32 bytes), for lists. */
void gz_newsroom_when_short(long long t, char *out, size_t outlen);

#endif
