/*
 * fuzz.h - what the fuzz harnesses of tests/fuzz/ share.
 *
 * Every harness is one file, fuzz_<name>.c, defining the libFuzzer entry
 * point LLVMFuzzerTestOneInput. It builds two ways (tests/fuzz/meson.build):
 * with clang and -fsanitize=fuzzer as a real fuzzer (meson option
 * -Dfuzz=true), and with any compiler as a replay program (replay.c's
 * main) that runs every file of the corpus and crash folders through the
 * same entry point: the `fuzz-replay` suite of every normal test run.
 *
 * The support functions here (support.c) make the temporary folders and
 * databases the harnesses need and clean them up at exit. daemon.c runs
 * Gazette's real request machinery (libmicrohttpd, request.c, the guard,
 * the handlers, the templates) in-process, one connection per input, over
 * a socketpair: no port, no threads.
 *
 * Threads: none. A harness is called from one thread, one input at a
 * time, and keeps its state (databases, the daemon) between inputs.
 */
#ifndef GAZETTE_FUZZ_H
#define GAZETTE_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The repository root: $GZ_SOURCE_ROOT, else the one the build was
 * configured from (GZ_FUZZ_SOURCE_ROOT, set by meson). Borrowed. */
const char *fz_source_root(void);

/* "<root>/<rel>" into a static buffer (valid until the next call). */
const char *fz_source_path(const char *rel);

/* A new folder under /dev/shm (or $TMPDIR, or /tmp), gz-fuzz-PID-XXXXXX,
 * removed with everything in it when the process exits normally; the
 * folders of processes that died (a crash) are removed by the next one.
 * Aborts on failure: a harness that cannot set up must not pretend to
 * run. Borrowed. */
const char *fz_temp_dir(void);

/* Silences Gazette's logging (info and the numbered error lines) unless
 * $GZ_FUZZ_VERBOSE is set: a fuzzer calls the error paths millions of
 * times. */
void fz_quiet(void);

/* Prints "fuzz: message" on stderr and aborts (set-up failures). */
void fz_die(const char *what) __attribute__((noreturn));

/* Creates the database at path with every migration applied and the
 * demo content (demo/demo.json) plus the hostile fixture
 * (tests/http/fixtures/hostile.json) imported, and closes it. Aborts on
 * failure. */
void fz_seed_demo(const char *path);

/*
 * Database snapshots: a harness that lets its input write to a database
 * file takes a snapshot of the seeded file once (fz_db_snapshot), then
 * calls fz_db_restore after each input. That costs nothing when the input
 * wrote nothing (PRAGMA data_version of a connection of our own says so)
 * and copies the snapshot back with SQLite's backup API otherwise, so every
 * input starts from the same database and a crash reproduces alone.
 * Only one snapshot per process.
 */
void fz_db_snapshot(const char *path);
void fz_db_restore(void);

/*
 * The in-process server (daemon.c). fz_daemon_start (called by the first
 * fz_daemon_exchange) seeds a database in a temporary folder: the
 * migrations, demo/demo.json and tests/http/fixtures/hostile.json, an
 * admin and an author who can sign in (password "fuzz-password-1"), a
 * session and an API token for each. Then it builds the application as
 * `gazette serve` does (templates, static files, the page cache) and
 * starts libmicrohttpd without threads or a listening socket.
 *
 * fz_daemon_exchange(data, n): one client connection. The bytes are
 * written to one end of a socketpair whose other end is handed to
 * libmicrohttpd (as if from 127.0.0.1), which is driven with MHD_run
 * until it has read everything and answered all it will; then the client
 * closes and the connection is cleaned up. The page cache is emptied and
 * the database restored (fz_db_restore) afterwards, so each input starts
 * from the same state. Returns the number of bytes answered.
 *
 * Before sending, these placeholders in data are replaced, so seeds
 * (and the fuzzer) can be signed in although tokens are random per run:
 *   $SESSION $CSRF $TOKEN      the admin's session cookie value, its CSRF
 *                              token, its API token (Bearer)
 *   $ASESSION $ACSRF $ATOKEN   the same for the author
 *   $LEN                       the number of bytes after the blank line
 *                              that ends the headers it is in, to the end
 *                              of the input (a Content-Length that stays
 *                              right while the body is mutated)
 */
size_t fz_daemon_exchange(const unsigned char *data, size_t n);

#endif
