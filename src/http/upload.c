/*
 * upload.c - the file part of a GZ_R_UPLOAD route's multipart body,
 * streamed by MHD_PostProcessor straight into a temporary file under
 * data_dir/media/ while its SHA-256 is computed and its size checked
 * (413 the moment it passes server.max_upload_bytes; nothing is kept).
 * Once the body is in, the type is decided from the first bytes (JPEG,
 * PNG, WebP, GIF; anything else 415), never from the name or the
 * client's Content-Type. The handler renames the file it takes; anything
 * left is deleted when the request ends.
 *
 * Threads: all state lives in the request, served by one worker thread.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

static const struct {
    const char *mime, *ext;
    size_t off, len;
    const char *magic;
} image_types[] = {
    {"image/jpeg", "jpg", 0, 3, "\xff\xd8\xff"},
    {"image/png", "png", 0, 8, "\x89PNG\r\n\x1a\n"},
    {"image/gif", "gif", 0, 6, "GIF87a"},
    {"image/gif", "gif", 0, 6, "GIF89a"},
    {"image/webp", "webp", 8, 4, "WEBP"},
};

/* A big-endian 32-bit field as an int, clamped: PNG allows up to 2^31-1,
 * but a hostile header may say anything. */
static int be32_dimension(const unsigned char *p)
{
    uint32_t v = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
                 ((uint32_t)p[2] << 8) | (uint32_t)p[3];
    return v > (uint32_t)INT_MAX ? INT_MAX : (int)v;
}

/* Decides the type from the first bytes (SECURITY: never from the name or
 * the client's Content-Type). 0, or 415. */
static int sniff_image(struct gz_upload *u, const unsigned char *h, size_t n)
{
    for (size_t i = 0; i < sizeof image_types / sizeof image_types[0]; i++) {
        size_t end = image_types[i].off + image_types[i].len;
        if (n >= end &&
            memcmp(h + image_types[i].off, image_types[i].magic,
                   image_types[i].len) == 0 &&
            (strcmp(image_types[i].ext, "webp") != 0 ||
             memcmp(h, "RIFF", 4) == 0)) {
            u->mime = image_types[i].mime;
            u->ext = image_types[i].ext;
            if (strcmp(u->ext, "png") == 0 && n >= 24) {
                /* NOTE: h[16] << 24 on an int overflows for bytes >= 0x80
                 * (undefined behaviour); read it unsigned, then clamp. */
                u->width = be32_dimension(h + 16);
                u->height = be32_dimension(h + 20);
            } else if (strcmp(u->ext, "gif") == 0 && n >= 10) {
                u->width = h[6] | (h[7] << 8);
                u->height = h[8] | (h[9] << 8);
            }
            return 0;
        }
    }
    return 415;
}

static void upload_fail(struct gz_req *req, int status)
{
    if (!req->upload_error)
        req->upload_error = status;
    if (req->upload_file) {
        fclose(req->upload_file);
        req->upload_file = NULL;
    }
    if (req->upload.tmp_path[0]) {
        unlink(req->upload.tmp_path);
        req->upload.tmp_path[0] = '\0';
    }
    req->have_upload = 0;
}

enum MHD_Result gz_http_upload_data(struct gz_req *req, const char *key,
                                    const char *filename, const char *data,
                                    uint64_t off, size_t size)
{
    struct gz_upload *u = &req->upload;
    if (req->upload_error)
        return MHD_YES; /* keep reading (and dropping) the rest */
    if (off == 0 && req->upload_file &&
        (u->size > 0 || strcmp(u->field, key) != 0)) {
        /* A new file part while one is open: a second file, refused (one
         * file per request), never appended to the first. */
        upload_fail(req, 400);
        return MHD_YES;
    }
    if (off == 0 && !req->upload_file) {
        if (size == 0 && !filename[0])
            return MHD_YES; /* the file input was left empty */
        char dir[1040];
        snprintf(dir, sizeof dir, "%.1024s/media", req->app->cfg.data_dir);
        mkdir(req->app->cfg.data_dir, 0755);
        mkdir(dir, 0755);
        snprintf(u->tmp_path, sizeof u->tmp_path, "%s/.upload-XXXXXX", dir);
        int fd = mkstemp(u->tmp_path);
        if (fd < 0 || !(req->upload_file = fdopen(fd, "wb"))) {
            gz_log_err(1106, "request %s: cannot create %s: %s", req->id,
                       u->tmp_path, strerror(errno));
            if (fd >= 0)
                close(fd);
            u->tmp_path[0] = '\0';
            upload_fail(req, 500);
            return MHD_YES;
        }
        snprintf(u->field, sizeof u->field, "%s", key);
        snprintf(u->filename, sizeof u->filename, "%s", filename);
        crypto_hash_sha256_init(&req->upload_sha);
        req->have_upload = 1;
    }
    if (!req->upload_file)
        return MHD_YES;
    /* Keep the first bytes to decide the type once there are enough. */
    if (u->size < (long long)sizeof req->upload_head) {
        size_t take = sizeof req->upload_head - (size_t)u->size;
        if (take > size)
            take = size;
        memcpy(req->upload_head + u->size, data, take);
    }
    u->size += (long long)size;
    if (u->size > req->app->cfg.max_upload_bytes) {
        upload_fail(req, 413); /* decided while streaming, nothing kept */
        return MHD_YES;
    }
    crypto_hash_sha256_update(&req->upload_sha, (const unsigned char *)data,
                              size);
    if (size && fwrite(data, 1, size, req->upload_file) != size) {
        upload_fail(req, 500);
        return MHD_YES;
    }
    return MHD_YES;
}

int gz_http_upload_finish(struct gz_req *req)
{
    struct gz_upload *u = &req->upload;
    if (req->upload_error)
        return req->upload_error;
    if (!req->upload_file)
        return 0;
    int bad = fclose(req->upload_file) != 0;
    req->upload_file = NULL;
    if (bad) {
        upload_fail(req, 500);
        return 500;
    }
    size_t n = u->size < (long long)sizeof req->upload_head
                   ? (size_t)u->size
                   : sizeof req->upload_head;
    int st = u->size == 0 ? 400 : sniff_image(u, req->upload_head, n);
    if (st) {
        upload_fail(req, st);
        return st;
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&req->upload_sha, h);
    gz_hex(h, sizeof h, u->sha256);
    return 0;
}

void gz_http_upload_cleanup(struct gz_req *req)
{
    if (req->upload_file)
        fclose(req->upload_file);
    req->upload_file = NULL;
    if (req->upload.tmp_path[0])
        unlink(req->upload.tmp_path); /* not taken by the handler */
    req->upload.tmp_path[0] = '\0';
}
