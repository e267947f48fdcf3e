/*
 * fuzz_api.c - JSON request bodies of /api/v1 (src/api/, and the site
 * forms they share: comments, subscribers), through the real server as
 * fuzz_req does, but with the HTTP framing done here so every mutation
 * lands in the JSON or the target.
 *
 * Input: a first line "[WHO ]METHOD TARGET", then the body. WHO is
 * "author" (the author's API token), "session" (the admin's session
 * cookie with its X-CSRF-Token and a same-origin Origin) or "anon" (no
 * credentials); without it, the admin's API token. The request gets
 * Host, the credentials, Content-Type: application/json, a correct
 * Content-Length and Connection: close.
 *
 * Seeds: tests/fuzz/corpus/api/ (the bodies of docs/API.md and of the
 * HTTP tests for every write route).
 */
#include <string.h>

#include "fuzz.h"
#include "gazette/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256 * 1024)
        return 0;
    const char *s = (const char *)data;
    const char *nl = memchr(s, '\n', size);
    size_t line = nl ? (size_t)(nl - s) : size;
    if (line > 2000)
        return 0;
    size_t body = nl ? line + 1 : size;
    const char *who = "Authorization: Bearer $TOKEN\r\n";
    struct {
        const char *prefix, *headers;
    } whos[] = {
        {"author ", "Authorization: Bearer $ATOKEN\r\n"},
        {"session ", "Cookie: gz_session=$SESSION\r\nX-CSRF-Token: $CSRF\r\n"
                     "Origin: http://127.0.0.1:8080\r\n"},
        {"anon ", ""},
    };
    for (size_t i = 0; i < sizeof whos / sizeof whos[0]; i++) {
        size_t n = strlen(whos[i].prefix);
        if (line >= n && memcmp(s, whos[i].prefix, n) == 0) {
            who = whos[i].headers;
            s += n;
            line -= n;
            body -= n;
            size -= n;
            break;
        }
    }
    struct gz_buf req;
    gz_buf_init(&req);
    gz_buf_append(&req, s, line);
    gz_buf_puts(&req, " HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n");
    gz_buf_puts(&req, who);
    gz_buf_puts(&req, "Content-Type: application/json\r\n"
                      "Accept: application/json\r\n"
                      "Content-Length: $LEN\r\nConnection: close\r\n\r\n");
    gz_buf_append(&req, s + body, size - body);
    fz_daemon_exchange((const unsigned char *)req.data, req.len);
    gz_buf_free(&req);
    return 0;
}
