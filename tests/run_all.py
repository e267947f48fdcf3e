#!/usr/bin/env python3
"""Runs every test suite through `meson test` and sums the results.

Each test prints its own summary; this script reads them from meson's
testlog.json and ends with one line `N passed, N failed[, N skipped]` over
all suites, which is the line CI reads. Recognised summaries: cmocka's
"[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)", node's "# pass N" /
"# fail N" / "# skipped N", and the plain "N passed, N failed[, N skipped]".
A test that exits non-zero without reporting a failure counts as one
failure; one that exits 77 counts as one skip.

Usage: tests/run_all.py [extra meson test args, e.g. --suite unit]
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


def main():
    log = os.path.join(BUILD, "meson-logs", "testlog.json")
    if os.path.exists(log):
        os.remove(log)
    cmd = ["meson", "test", "-C", BUILD, "--print-errorlogs"] + sys.argv[1:]
    rc = subprocess.call(cmd)
    total = [0, 0, 0]
    if not os.path.exists(log):
        print("meson test wrote no log (exit %d)" % rc)
        print("0 passed, 1 failed")
        return 1
    print()
    print("%-34s %8s %8s %8s" % ("suite / test", "passed", "failed", "skipped"))
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
            name = t["name"]
            print("%-34s %8d %8d %8d" % (name[-34:], p, fl, s))
            total[0] += p
            total[1] += fl
            total[2] += s
    line = "%d passed, %d failed" % (total[0], total[1])
    if total[2]:
        line += ", %d skipped" % total[2]
    print(line)
    return 0 if total[1] == 0 and total[0] > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
