/*
 * diff.h - a readable diff of two texts for the story history screen
 * (issue 10, item 2): a longest-common-subsequence diff of lines, and
 * inside each changed line a diff of words.
 *
 * All functions are pure and thread-safe.
 */
#ifndef GAZETTE_DIFF_H
#define GAZETTE_DIFF_H

#include <stddef.h>

#include "gazette/util.h"

/* What a diff found: lines only in the old text, only in the new one. */
struct gz_diff_stats {
    size_t lines_added, lines_removed;
};

/* Most LCS cells one diff may use (after the common start and end are
 * taken off); a bigger middle is shown as all removed, then all added. */
#define GZ_DIFF_MAX_CELLS (4u * 1024u * 1024u)

/*
 * Appends to out the HTML of the diff from old_text to new_text: one
 * <div class="diff-line diff-same|diff-del|diff-ins|diff-chg"> per line,
 * removed text in <del>, added text in <ins>; a changed line (a removed
 * line paired with an added one) shows its removed and added words inside
 * the one line. Every byte of both texts is escaped (gz_html_escape).
 * st (may be NULL) gets the line counts. Returns 0 or GZ_ENOMEM (out then
 * holds a partial diff the caller discards).
 */
int gz_diff_html(const char *old_text, const char *new_text,
                 struct gz_buf *out, struct gz_diff_stats *st);

/* Counts only (no HTML): lines added and removed from old to new. */
int gz_diff_count(const char *old_text, const char *new_text,
                  struct gz_diff_stats *st);

#endif
