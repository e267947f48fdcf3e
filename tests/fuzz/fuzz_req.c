/*
 * fuzz_req.c - whole HTTP requests through the real server machinery:
 * libmicrohttpd's parser, request.c (path decoding, limits, the three
 * phases, query and form decoding, multipart through MHD_PostProcessor
 * and upload.c), the route table, guard.c (sessions, tokens, roles,
 * origin and CSRF checks, CORS), the page cache, every handler with its
 * templates, respond.c (ETag, 304, gzip) and the error answers.
 *
 * The input is the raw bytes a client sends on one connection (one
 * request or several pipelined), with the placeholders of
 * fz_daemon_exchange ($SESSION, $CSRF, $TOKEN, $ASESSION, ..., $LEN) so
 * inputs can be signed in. The database (demo content, hostile
 * fixtures, an admin and an author) is restored after any input that
 * wrote to it.
 *
 * Seeds: tests/fuzz/corpus/req/ (every route, signed in and not,
 * urlencoded and multipart forms, malformed requests).
 */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256 * 1024)
        return 0;
    fz_daemon_exchange(data, size);
    return 0;
}
