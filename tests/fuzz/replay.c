/*
 * replay.c - the main() of a harness built without libFuzzer: runs every
 * file named on the command line, and every file under every folder named
 * (sorted, recursively), once through LLVMFuzzerTestOneInput, in one
 * process, as SQLite's fuzzcheck does. The `fuzz-replay` suite runs it on
 * tests/fuzz/corpus/<harness>/ and tests/fuzz/crashes/<harness>/ in every
 * normal build (under ASan and UBSan in the CI's sanitizer build).
 *
 * It checks only that nothing crashes, aborts or (under sanitizers)
 * touches memory it should not; outputs are not compared. The last line
 * is "N passed, N failed" (tests/run_all.py reads it): passed counts the
 * inputs run, failed the files that could not be read. An input that
 * crashes ends the process (a sanitizer's report, or "replay: crashed on
 * FILE" for a signal) with a non-zero status, which the runner counts as
 * a failure. A folder that does not exist is skipped (no crashes yet).
 *
 * Usage: fuzz_<name>_replay [-v] FILE|DIR...
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fuzz.h"

/* Present when a sanitizer runtime is linked in. */
extern void __sanitizer_set_death_callback(void (*cb)(void))
    __attribute__((weak));

static FILE *out;          /* stderr as it was at start (fz_quiet swaps) */
static char current[4096]; /* the input being run */
static volatile sig_atomic_t told;
static int verbose;
static int passed, failed;

static void say_current(void)
{
    if (told || !current[0])
        return;
    told = 1;
    static const char a[] = "replay: crashed on ";
    ssize_t w = write(2, a, sizeof a - 1);
    w = write(2, current, strlen(current));
    w = write(2, "\n", 1);
    (void)w;
}

static void on_signal(int sig)
{
    say_current();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0) {
        fprintf(out, "replay: cannot read %s\n", path);
        failed++;
        if (f)
            fclose(f);
        return;
    }
    /* Exactly the file's size, so a read past the end of the input is
     * an ASan error here as it is under libFuzzer. */
    size_t n = (size_t)st.st_size;
    unsigned char *data = malloc(n ? n : 1);
    if (!data || fread(data, 1, n, f) != n) {
        fprintf(out, "replay: cannot read %s\n", path);
        failed++;
        free(data);
        fclose(f);
        return;
    }
    fclose(f);
    snprintf(current, sizeof current, "%s", path);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    LLVMFuzzerTestOneInput(data, n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (verbose)
        fprintf(out, "replay: %s (%zu bytes) %.1f ms\n", path, n,
                (t1.tv_sec - t0.tv_sec) * 1e3 +
                    (t1.tv_nsec - t0.tv_nsec) / 1e6);
    current[0] = '\0';
    free(data);
    passed++;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static void run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return; /* no such folder (yet): nothing to replay */
    if (!S_ISDIR(st.st_mode)) {
        run_file(path);
        return;
    }
    struct dirent **names;
    int n = scandir(path, &names, NULL, by_name);
    for (int i = 0; i < n; i++) {
        const char *name = names[i]->d_name;
        /* Skip ".", "..", dot files and notes about the inputs. */
        if (name[0] != '.' && strcmp(name, "README.md") != 0) {
            char child[4096];
            snprintf(child, sizeof child, "%s/%s", path, name);
            run_path(child);
        }
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv)
{
    out = stderr;
    if (__sanitizer_set_death_callback)
        __sanitizer_set_death_callback(say_current);
    int sigs[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        /* Under a sanitizer, it reports SEGV and friends itself. */
        if (sigs[i] != SIGABRT && __sanitizer_set_death_callback)
            continue;
        signal(sigs[i], on_signal);
    }
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "-v") == 0) {
        verbose = 1;
        first = 2;
    }
    if (first >= argc) {
        fprintf(out, "usage: %s [-v] FILE|DIR...\n", argv[0]);
        return 2;
    }
    for (int i = first; i < argc; i++)
        run_path(argv[i]);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
