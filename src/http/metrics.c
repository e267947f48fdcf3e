/*
 * metrics.c - the server's counters and their Prometheus text (/metrics):
 * requests by route and status class, the answer-time histogram, page
 * cache hits and misses, requests in flight, and the outbox's depth read
 * from the database at scrape time.
 *
 * Threads: every counter is an atomic, bumped by any worker without a
 * lock; a scrape reads them one by one, so its numbers may be a request
 * apart from each other, which Prometheus accepts.
 */
#include <stdio.h>

#include "gazette/backup.h"
#include "gazette/cdn.h"
#include "gazette/engage.h"
#include "gazette/site.h"
#include "internal.h"

#define NBUCKETS 10
static const double buckets[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                         0.025,  0.05,  0.1,    0.5,   1.0};
/* Routes counted one by one; any beyond count as "unmatched". The /api/v1
 * routes took the table past the first limit of 64. */
#define NROUTES 256
static atomic_ullong m_requests[NROUTES + 1][6]; /* by route, status class */
static atomic_ullong m_latency[NBUCKETS + 1];
static atomic_ullong m_latency_sum_us;
static atomic_ullong m_latency_count;
static atomic_ullong m_cache_hits, m_cache_misses;
static atomic_int in_flight; /* requests begun and not completed */

void gz_http_metrics_cache_hit(void)
{
    atomic_fetch_add(&m_cache_hits, 1);
}

void gz_http_metrics_cache_miss(void)
{
    atomic_fetch_add(&m_cache_misses, 1);
}

void gz_http_in_flight_add(int delta)
{
    atomic_fetch_add(&in_flight, delta);
}

int gz_http_in_flight(void)
{
    return atomic_load(&in_flight);
}

void gz_http_metrics_count(int route_index, int status, double seconds)
{
    int r = route_index >= 0 && route_index < NROUTES ? route_index : NROUTES;
    int c = status / 100;
    if (c < 1 || c > 5)
        c = 5;
    atomic_fetch_add(&m_requests[r][c], 1);
    int b = 0;
    while (b < NBUCKETS && seconds > buckets[b])
        b++;
    atomic_fetch_add(&m_latency[b], 1);
    atomic_fetch_add(&m_latency_sum_us, (unsigned long long)(seconds * 1e6));
    atomic_fetch_add(&m_latency_count, 1);
}

/* The outbox's rows by status, as gauges. Read from the calling worker's
 * own read-only connection; left out when there is none (no server). */
static void render_outbox(struct gz_buf *out)
{
    static const char *const statuses[] = {"queued", "sending", "sent",
                                           "failed"};
    struct gz_db *db = gz_http_thread_db_current(0);
    json_t *counts = db ? gz_store_outbox_counts(db) : NULL; /* owned */
    if (!counts)
        return;
    gz_buf_puts(out, "# HELP gazette_outbox_messages Outbox messages by"
                     " status.\n"
                     "# TYPE gazette_outbox_messages gauge\n");
    for (size_t i = 0; i < sizeof statuses / sizeof statuses[0]; i++)
        gz_buf_printf(out, "gazette_outbox_messages{status=\"%s\"} %lld\n",
                      statuses[i],
                      (long long)json_integer_value(
                          json_object_get(counts, statuses[i])));
    json_decref(counts);
}

int gz_metrics_render(struct gz_buf *out)
{
    gz_buf_puts(out, "# HELP gazette_http_requests_total Requests by route"
                     " and status class.\n"
                     "# TYPE gazette_http_requests_total counter\n");
    for (int r = 0; r <= NROUTES; r++) {
        const char *pattern = "unmatched";
        if (r < NROUTES) {
            if (!gz_routes[r].pattern)
                r = NROUTES;
            else
                pattern = gz_routes[r].pattern;
        }
        if (r == NROUTES)
            pattern = "unmatched";
        for (int c = 1; c <= 5; c++) {
            unsigned long long v = atomic_load(&m_requests[r][c]);
            if (v)
                gz_buf_printf(out,
                              "gazette_http_requests_total{route=\"%s\","
                              "status=\"%dxx\"} %llu\n",
                              pattern, c, v);
        }
    }
    gz_buf_puts(out,
                "# HELP gazette_http_request_duration_seconds Time to"
                " answer.\n"
                "# TYPE gazette_http_request_duration_seconds histogram\n");
    unsigned long long cum = 0;
    for (int i = 0; i < NBUCKETS; i++) {
        cum += atomic_load(&m_latency[i]);
        gz_buf_printf(out,
                      "gazette_http_request_duration_seconds_bucket{le=\"%g\"}"
                      " %llu\n",
                      buckets[i], cum);
    }
    cum += atomic_load(&m_latency[NBUCKETS]);
    gz_buf_printf(out,
                  "gazette_http_request_duration_seconds_bucket{le=\"+Inf\"}"
                  " %llu\n"
                  "gazette_http_request_duration_seconds_sum %.6f\n"
                  "gazette_http_request_duration_seconds_count %llu\n",
                  cum, atomic_load(&m_latency_sum_us) / 1e6,
                  atomic_load(&m_latency_count));
    gz_buf_printf(out,
                  "# HELP gazette_page_cache_hits_total Pages served from the"
                  " page cache.\n# TYPE gazette_page_cache_hits_total counter\n"
                  "gazette_page_cache_hits_total %llu\n"
                  "# HELP gazette_page_cache_misses_total Cacheable pages"
                  " rendered.\n"
                  "# TYPE gazette_page_cache_misses_total counter\n"
                  "gazette_page_cache_misses_total %llu\n",
                  atomic_load(&m_cache_hits), atomic_load(&m_cache_misses));
    long long cache_entries, cache_bytes;
    gz_http_cache_gauges(&cache_entries, &cache_bytes);
    gz_buf_printf(out,
                  "# HELP gazette_page_cache_entries Answers the page cache"
                  " holds.\n# TYPE gazette_page_cache_entries gauge\n"
                  "gazette_page_cache_entries %lld\n"
                  "# HELP gazette_page_cache_bytes Bytes of keys and bodies"
                  " the page cache holds.\n"
                  "# TYPE gazette_page_cache_bytes gauge\n"
                  "gazette_page_cache_bytes %lld\n",
                  cache_entries, cache_bytes);
    gz_buf_printf(out,
                  "# HELP gazette_http_requests_in_flight Requests begun and"
                  " not yet answered.\n"
                  "# TYPE gazette_http_requests_in_flight gauge\n"
                  "gazette_http_requests_in_flight %d\n",
                  atomic_load(&in_flight));
    long long open_conns;
    gz_http_conn_gauges(&open_conns);
    gz_buf_printf(out,
                  "# HELP gazette_http_connections_open Connections accepted"
                  " and not yet closed.\n"
                  "# TYPE gazette_http_connections_open gauge\n"
                  "gazette_http_connections_open %lld\n",
                  open_conns);
    gz_buf_printf(out,
                  "# HELP gazette_forwarded_for_malformed_total Requests from"
                  " a trusted proxy whose X-Forwarded-For was not a list of"
                  " addresses (the proxy was taken as the client).\n"
                  "# TYPE gazette_forwarded_for_malformed_total counter\n"
                  "gazette_forwarded_for_malformed_total %lld\n",
                  gz_http_proxy_malformed());
    render_outbox(out);
    gz_cdn_metrics(out);
    gz_backup_metrics(out);
    return 0;
}
