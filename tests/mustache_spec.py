#!/usr/bin/env python3
"""Runs the official Mustache specification (../shared/reference/
mustache-spec/run.py, beside the repository) against `gazette render`.

The specification is not part of this repository: on a clone alone it is
absent, and this test is then skipped (exit 77, which meson and
tests/run_all.py count as one skip) with a message saying so.

Usage: tests/mustache_spec.py GAZETTE_BINARY
"""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUNNER = os.path.join(os.path.dirname(ROOT), "shared", "reference",
                      "mustache-spec", "run.py")


def main():
    if not os.path.isfile(RUNNER):
        print("mustache-spec: skipped: %s is not here (it comes with the "
              "project's shared folder, not with the repository)" % RUNNER)
        return 77
    return subprocess.call([sys.executable, RUNNER] + sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
