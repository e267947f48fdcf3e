#!/usr/bin/env python3
"""Runs every test suite through `meson test` and sums the results.

Each test prints its own summary; this script reads them from meson's
testlog.json and ends with one line `N passed, N failed[, N skipped]` over
all suites, which is the line CI reads. Recognised summaries: cmocka's
"[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)", node's "# pass N" /
"# fail N" / "# skipped N", and the plain "N passed, N failed[, N skipped]".
A test that exits non-zero without reporting a failure counts as one
failure; one that exits 77 counts as one skip.

--also DIR:SUITE[,SUITE...] (repeatable) also runs those suites in another
build folder, after the ones of build/, and adds them to the same table
and total: how .ci/run runs the unit, http and fuzz-replay suites of its
ASan + UBSan build (build-asan). Their rows are named DIR/test.

Usage: tests/run_all.py [--also DIR:SUITES]... [extra meson test args,
       e.g. --suite unit]   (the extra args apply to build/ only)
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")

PLAIN = re.compile(r"^(?:\w+: )?(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$", re.M)
CM_PASS = re.compile(r"^\[  PASSED  \] (\d+) test", re.M)
CM_FAIL = re.compile(r"^\[  FAILED  \] (\d+) test", re.M)
CM_SKIP = re.compile(r"^\[  SKIPPED \] (\d+) test", re.M)
NODE = {k: re.compile(r"^# %s (\d+)\s*$" % k, re.M) for k in ("pass", "fail", "skipped")}


def counts(out):
    m = PLAIN.findall(out)
    if m:
        p, f, s = m[-1]
        return int(p), int(f), int(s or 0)
    if CM_PASS.search(out) or CM_FAIL.search(out):
        p = sum(int(x) for x in CM_PASS.findall(out))
        f = sum(int(x) for x in CM_FAIL.findall(out))
        s = sum(int(x) for x in CM_SKIP.findall(out))
        return p, f, s
    if NODE["pass"].search(out):
        get = lambda k: int((NODE[k].findall(out) or [0])[-1])
        return get("pass"), get("fail"), get("skipped")
    return None


FAILED_LINE = re.compile(r"^(?:(?:FAIL|ERROR): .*|not ok .*|\[  FAILED  \] "
                         r"(?!\d+ test).*|\w+Error: .*)$", re.M)


def failed_names(out):
    """The lines of a test's output that name what failed: unittest's
    FAIL:/ERROR: headers and the assertion under each, node's "not ok",
    cmocka's [  FAILED  ] lines; at most 20."""
    return FAILED_LINE.findall(out)[:20]


def run_build(build, args, label):
    """Runs `meson test` in build with args; returns the rows
    (name, passed, failed, skipped) read from its testlog.json."""
    log = os.path.join(build, "meson-logs", "testlog.json")
    if os.path.exists(log):
        os.remove(log)
    cmd = ["meson", "test", "-C", build, "--print-errorlogs"] + args
    rc = subprocess.call(cmd)
    if not os.path.exists(log):
        print("meson test in %s wrote no log (exit %d)" % (build, rc))
        return [((label + "/" if label else "") + "meson test", 0, 1, 0, [])]
    rows = []
    with open(log, encoding="utf-8") as f:
        for line in f:
            t = json.loads(line)
            out = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
            c = counts(out)
            code = t.get("returncode")
            if c is None:
                c = (0, 0, 1) if code == 77 else ((1, 0, 0) if code == 0 else (0, 1, 0))
            p, fl, s = c
            if code not in (0, 77) and fl == 0:
                fl = 1  # crashed or exited badly after its summary
            name = (label + "/" if label else "") + t["name"]
            rows.append((name, p, fl, s, failed_names(out) if fl else []))
    return rows


def parse_args(argv):
    """Splits off the --also DIR:SUITES options; the rest is for meson."""
    also, rest = [], []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--also" and i + 1 < len(argv):
            spec, i = argv[i + 1], i + 2
        elif a.startswith("--also="):
            spec, i = a[len("--also="):], i + 1
        else:
            rest.append(a)
            i += 1
            continue
        d, _, suites = spec.partition(":")
        build = d if os.path.isabs(d) else os.path.join(ROOT, d)
        args = []
        for suite in filter(None, suites.split(",")):
            args += ["--suite", suite]
        also.append((build, args, os.path.basename(os.path.normpath(d))))
    return also, rest


def main():
    also, rest = parse_args(sys.argv[1:])
    rows = run_build(BUILD, rest, "")
    for build, args, label in also:
        rows += run_build(build, args, label)
    total = [0, 0, 0]
    w = min(60, max([34] + [len(r[0]) for r in rows]))
    print()
    print("%-*s %8s %8s %8s" % (w, "suite / test", "passed", "failed",
                                "skipped"))
    for name, p, fl, s, _ in rows:
        print("%-*s %8d %8d %8d" % (w, name[-w:], p, fl, s))
        total[0] += p
        total[1] += fl
        total[2] += s
    # What failed, by name, just above the total: the end of a long log
    # (all CI may show) then says which tests to look at.
    for name, _, fl, _, lines in rows:
        if fl:
            print("failed in %s:" % name)
            for line in lines or ["(no test named: see its log above)"]:
                print("  " + line[:300])
    line = "%d passed, %d failed" % (total[0], total[1])
    if total[2]:
        line += ", %d skipped" % total[2]
    print(line)
    return 0 if total[1] == 0 and total[0] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
