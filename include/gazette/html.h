/*
 * html.h - escaping and the small text helpers that decide what may reach a
 * page: HTML text/attribute escaping, XML escaping for feeds, JSON-in-HTML
 * escaping for JSON-LD, URL checks, slugs, initials, excerpts.
 *
 * All functions are pure and thread-safe.
 */
#ifndef GAZETTE_HTML_H
#define GAZETTE_HTML_H

#include <stddef.h>

#include "gazette/util.h"

/* Appends s[0..n) with & < > " ' escaped (&amp; &lt; &gt; &quot; &#39;),
 * safe in text and in quoted attributes (and in XML). */
int gz_html_escape(struct gz_buf *out, const char *s, size_t n);

/* Appends s with < > & escaped as \u003c \u003e \u0026, so JSON (already
 * valid JSON text) can sit inside <script type="application/ld+json">. */
int gz_json_in_html(struct gz_buf *out, const char *s, size_t n);

/* Appends s percent-encoded for a URL query value (RFC 3986 unreserved
 * characters kept). */
int gz_url_encode(struct gz_buf *out, const char *s, size_t n);

/* Decodes %XX and (when plus_is_space) '+' in place; returns the new length
 * or -1 on a malformed escape. The result may contain NUL bytes: callers
 * check with the returned length. */
long gz_url_decode(char *s, size_t n, int plus_is_space);

/* 1 when url is relative ("/x", not "//x") or absolute http(s) with no
 * control characters or spaces; the only URLs that may fill an _url field. */
int gz_url_is_safe(const char *url);

/* 1 when url is a plain http(s) origin: scheme, host and an optional
 * port, nothing after (no path, query, user part or trailing slash),
 * printable ASCII, at most 200 bytes. The rule for base URLs, which end up
 * in feeds, mail and canonical links. */
int gz_url_is_origin(const char *url);

/* 1 when s is a valid slug: 1-200 of [a-z0-9-], no leading/trailing '-'. */
int gz_slug_valid(const char *s);

/* Makes a slug from free text into out (outlen bytes): ASCII letters and
 * digits lowercased, everything else becomes one '-', trimmed, at most
 * 80 chars; "story" when nothing is left. */
void gz_slugify(const char *text, char *out, size_t outlen);

/* Up to two initials of a name ("Bea Ploom" -> "BP"), UTF-8 aware, into
 * out (at least 16 bytes). */
void gz_initials(const char *name, char out[static 16]);

/* Cuts text at a word boundary so that it is at most max_chars code points
 * plus an ellipsis "…" when it was cut. Returns a malloc'd string. */
char *gz_text_excerpt(const char *text, size_t max_chars);

#endif
