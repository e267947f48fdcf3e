/*
 * error.c - the one place an error status becomes an answer. The table of
 * error statuses (machine code, page title, standard message) lives here;
 * gz_res_error builds THE error object of docs/API.md,
 * {"error": {"code", "message", "field", "request_id"}}, and gz_view_error
 * answers it for /api/ paths and clients that asked for JSON, else renders
 * the site's error page (template "error") in the site shell. The server
 * calls gz_view_error through gz_app.render_error for every error status
 * it decides or a handler returns; handlers call it (or the older
 * gz_respond_error wrapper) to answer an error with their own message.
 *
 * Threads: no state; runs on the worker thread serving the request, with
 * that thread's database connection for the site settings.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gazette/site.h"
#include "gazette/store.h"
#include "gazette/view.h"

static const struct error_kind {
    int status;
    const char *code;
    const char *title;
    const char *message;
} errors[] = {
    {400, "bad_request", "Bad request", "The request could not be understood."},
    {401, "unauthorized", "Sign in needed", "You need to sign in first."},
    {403, "forbidden", "Not allowed", "You are not allowed to do that."},
    {404, "not_found", "Page not found",
     "There is no page at this address. It may have moved, or never "
     "existed."},
    {405, "method_not_allowed", "Method not allowed",
     "This address does not accept that kind of request."},
    {409, "conflict", "Conflict", "That conflicts with something that exists."},
    {413, "payload_too_large", "Too large",
     "What was sent is larger than this site accepts."},
    {414, "uri_too_long", "Address too long",
     "The address is longer than this site accepts."},
    {415, "unsupported_media_type", "Unsupported type",
     "That kind of file is not accepted."},
    {422, "validation_failed", "Check the form", "Some fields need a look."},
    {429, "rate_limited", "Slow down",
     "Too many requests in a short time. Try again in a minute."},
    {431, "headers_too_large", "Request too large",
     "The request's headers or its address's parameters are more than this "
     "site accepts."},
    {500, "internal_error", "Something went wrong",
     "Something went wrong on our side. It has been logged."},
    {501, "not_implemented", "Not supported",
     "This site does not support that way of sending a request."},
    {503, "unavailable", "Unavailable",
     "The site is busy or down for a moment. Try again shortly."},
};

#define N_ERRORS (sizeof errors / sizeof errors[0])

/* The row of status; an unknown status is answered as a 500. */
static const struct error_kind *kind_of(int status)
{
    for (size_t i = 0; i < N_ERRORS; i++)
        if (errors[i].status == status)
            return &errors[i];
    for (size_t i = 0; i < N_ERRORS; i++)
        if (errors[i].status == 500)
            return &errors[i];
    return &errors[0];
}

const char *gz_res_error_code(int status)
{
    return kind_of(status)->code;
}

const char *gz_res_error_message(int status)
{
    return kind_of(status)->message;
}

const char *gz_res_error_title(int status)
{
    return kind_of(status)->title;
}

/* The error object with code (NULL: the status's own). Owned. */
static json_t *error_object(int status, const char *code, const char *message,
                            const char *field, const char *request_id)
{
    const struct error_kind *k = kind_of(status);
    return json_pack("{s:{s:s, s:s, s:s?, s:s?}}", "error", "code",
                     code ? code : k->code, "message",
                     message ? message : k->message, "field", field,
                     "request_id", request_id);
}

json_t *gz_res_error(int status, const char *message, const char *field,
                     const char *request_id)
{
    return error_object(status, NULL, message, field, request_id);
}

/* The site's error page, in the site shell; plain text when even the
 * template fails (out of memory, a broken theme). */
static void error_page(struct gz_req *req, struct gz_resp *resp, int status,
                       const struct error_kind *k, const char *msg)
{
    json_t *model = json_object();
    struct gz_db *db = gz_req_db(req);
    json_t *settings =
        db ? gz_store_settings_load(db)
           : json_pack("{s:s, s:s}", "title", "Gazette", "description", "");
    gz_site_page_common(req, model, settings, k->title, msg, "website",
                        "error");
    json_object_set_new(json_object_get(model, "page"), "noindex", json_true());
    json_object_set_new(model, "error",
                        json_pack("{s:i, s:s, s:s, s:s}", "status", status,
                                  "title", k->title, "message", msg,
                                  "request_id", gz_req_id(req)));
    if (gz_resp_page(req, resp, "error", model) != 0) {
        char *body = strdup(msg);
        gz_resp_take(resp, status, "text/plain; charset=utf-8", body,
                     body ? strlen(body) : 0);
    }
    json_decref(model);
    json_decref(settings);
}

void gz_view_error_code(struct gz_req *req, struct gz_resp *resp, int status,
                        const char *code, const char *message,
                        const char *field)
{
    const struct error_kind *k = kind_of(status);
    status = k->status; /* an unknown status is a 500 */
    const char *msg = message ? message : k->message;
    if (gz_req_wants_json(req)) {
        json_t *e = error_object(status, code, msg, field, gz_req_id(req));
        if (!e || gz_resp_json(resp, status, e) != 0) {
            /* Out of memory: a status line and no body still says it. */
            gz_resp_take(resp, status, "application/json", NULL, 0);
        }
        json_decref(e);
    } else {
        error_page(req, resp, status, k, msg);
    }
    resp->status = status;
}

void gz_view_error(struct gz_req *req, struct gz_resp *resp, int status,
                   const char *message, const char *field)
{
    gz_view_error_code(req, resp, status, NULL, message, field);
}

void gz_respond_error(struct gz_req *req, struct gz_resp *resp, int status,
                      const char *message)
{
    gz_view_error(req, resp, status, message, NULL);
}
