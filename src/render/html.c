/*
 * html.c - escaping and text helpers of html.h. Pure functions, no state.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/html.h"

/* Appends s[0..n), replacing each byte that has a replacement in `rep`. */
static int escape_with(struct gz_buf *out, const char *s, size_t n,
                       const char *(*rep)(char c))
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *r = rep(s[i]);
        if (!r)
            continue;
        if (gz_buf_append(out, s + start, i - start) || gz_buf_puts(out, r))
            return GZ_ENOMEM;
        start = i + 1;
    }
    return gz_buf_append(out, s + start, n - start);
}

static const char *html_rep(char c)
{
    switch (c) {
    case '&': return "&amp;";
    case '<': return "&lt;";
    case '>': return "&gt;";
    case '"': return "&quot;";
    case '\'': return "&#39;";
    default: return NULL;
    }
}

static const char *json_html_rep(char c)
{
    switch (c) {
    case '<': return "\\u003c";
    case '>': return "\\u003e";
    case '&': return "\\u0026";
    default: return NULL;
    }
}

int gz_html_escape(struct gz_buf *out, const char *s, size_t n)
{
    return escape_with(out, s, n, html_rep);
}

int gz_json_in_html(struct gz_buf *out, const char *s, size_t n)
{
    return escape_with(out, s, n, json_html_rep);
}

int gz_url_encode(struct gz_buf *out, const char *s, size_t n)
{
    static const char hx[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~') {
            if (gz_buf_putc(out, (char)c))
                return GZ_ENOMEM;
        } else {
            char e[3] = {'%', hx[c >> 4], hx[c & 15]};
            if (gz_buf_append(out, e, 3))
                return GZ_ENOMEM;
        }
    }
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long gz_url_decode(char *s, size_t n, int plus_is_space)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            if (i + 2 >= n)
                return -1;
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h < 0 || l < 0)
                return -1;
            s[o++] = (char)(h * 16 + l);
            i += 2;
        } else if (s[i] == '+' && plus_is_space) {
            s[o++] = ' ';
        } else {
            s[o++] = s[i];
        }
    }
    if (o < n)
        s[o] = '\0';
    return (long)o;
}

int gz_url_is_safe(const char *url)
{
    if (!url || !*url)
        return 0;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p == 0x7f || *p == '"' || *p == '\'' ||
            *p == '<' || *p == '>' || *p == '\\')
            return 0;
    if (url[0] == '/')
        return url[1] != '/';
    return strncmp(url, "https://", 8) == 0 || strncmp(url, "http://", 7) == 0;
}

/* SECURITY: the base URL ends up in feeds, mail and canonical links, so
 * only a plain http(s) origin is accepted: scheme, host, optional port,
 * nothing after. Shared by the config (server.base_url) and the admin's
 * setting. */
int gz_url_is_origin(const char *u)
{
    size_t n = strlen(u);
    const char *host;
    if (!strncmp(u, "https://", 8))
        host = u + 8;
    else if (!strncmp(u, "http://", 7))
        host = u + 7;
    else
        return 0;
    if (n > 200 || !*host || *host == ':' || strpbrk(host, "/?#@\\") ||
        strpbrk(u, " \t\r\n\"'<>") || !gz_url_is_safe(u))
        return 0;
    const char *colon = strchr(host, ':');
    if (colon &&
        (!colon[1] || strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
         strlen(colon + 1) > 5))
        return 0;
    for (const unsigned char *p = (const unsigned char *)u; *p; p++)
        if (*p < 0x21 || *p > 0x7e)
            return 0;
    return 1;
}

int gz_slug_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 200 || s[0] == '-' || s[n - 1] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return 0;
    }
    return 1;
}

void gz_slugify(const char *text, char *out, size_t outlen)
{
    size_t o = 0, max = outlen - 1 < 80 ? outlen - 1 : 80;
    int dash = 0;
    for (const char *p = text; *p; p++) {
        char c = *p;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
            /* A word's dash and first letter go in together or not at
             * all, so the cut never glues two words into one. */
            size_t need = (dash && o > 0) ? 2 : 1;
            if (o + need > max)
                break;
            if (need == 2)
                out[o++] = '-';
            dash = 0;
            out[o++] = c;
        } else if (c != '\'') {
            dash = 1; /* "Putin's" -> "putins": apostrophes vanish */
        }
    }
    while (o > 0 && out[o - 1] == '-')
        o--;
    out[o] = '\0';
    if (o == 0)
        snprintf(out, outlen, "%s", "story");
}

static size_t utf8_char_len(unsigned char c)
{
    if (c >= 0xf0)
        return 4;
    if (c >= 0xe0)
        return 3;
    if (c >= 0xc0)
        return 2;
    return 1;
}

void gz_initials(const char *name, char out[static 16])
{
    size_t o = 0;
    int count = 0, at_word = 1;
    for (const char *p = name; *p && count < 2;) {
        unsigned char c = (unsigned char)*p;
        size_t cl = utf8_char_len(c);
        if (c == ' ' || c == '-' || c == '\t') {
            at_word = 1;
            p++;
            continue;
        }
        if (at_word) {
            size_t k;
            for (k = 0; k < cl && p[k]; k++) {
                char ch = p[k];
                if (cl == 1 && ch >= 'a' && ch <= 'z')
                    ch = (char)(ch - 'a' + 'A');
                out[o++] = ch;
            }
            count++;
            at_word = 0;
            p += k;
            continue;
        }
        /* SECURITY: one byte, then its continuation bytes: a lead byte
         * that promises more bytes than the string has (invalid UTF-8)
         * must not step over the terminating NUL. */
        p++;
        while (*p && ((unsigned char)*p & 0xc0) == 0x80)
            p++;
    }
    out[o] = '\0';
}

char *gz_text_excerpt(const char *text, size_t max_chars)
{
    size_t n = strlen(text), chars = 0, i = 0, last_space = 0;
    while (i < n && chars < max_chars) {
        if (text[i] == ' ' || text[i] == '\n')
            last_space = i;
        i += utf8_char_len((unsigned char)text[i]);
        chars++;
    }
    if (i >= n)
        return strdup(text);
    size_t cut = last_space ? last_space : i;
    while (cut > 0 && (text[cut - 1] == ' ' || text[cut - 1] == ',' ||
                       text[cut - 1] == '.' || text[cut - 1] == ';' ||
                       text[cut - 1] == ':'))
        cut--;
    char *r = malloc(cut + 4);
    if (!r)
        return NULL;
    memcpy(r, text, cut);
    memcpy(r + cut, "\xe2\x80\xa6", 4); /* "…" and NUL */
    return r;
}
