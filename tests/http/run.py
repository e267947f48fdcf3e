#!/usr/bin/env python3
"""Runs every tests/http/test_*.py against a gazette binary.

Usage: tests/http/run.py [GAZETTE_BINARY] [-k PATTERN]...

The binary defaults to $GAZETTE_BIN, else build/gazette under the
repository root. -k runs only the tests whose names contain PATTERN. The last
line printed is exactly `N passed, N failed, N skipped`, counted per test
method and per subtest (a failed subtest is a failure; errors count as
failed; a class whose setUpClass fails counts each of its tests as failed;
a failing tearDownClass adds one failure). The exit
status is non-zero when anything failed.

Every answer the tests get under /api/ is recorded (harness.py appends it
to the file $GZ_API_RECORD names; run.py sets a temporary one unless the
variable is already set: that file is emptied first and kept). After the
tests, `node tests/api/validate.mjs src/api/openapi.json RECORD` checks
them against the OpenAPI document: one check per distinct (method, path
template, status), passed when every answer seen for it validates. Its
counts are added to the last line. Without node or node_modules/ajv (npm
ci), that check counts as 1 skipped.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


class CountingResult(unittest.TextTestResult):
    class_sizes = {}

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.passed = 0
        self.failed = 0
        self.skipped_n = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1

    def _class_error(self, test):
        # unittest reports setUpClass/tearDownClass problems with an
        # _ErrorHolder whose description is "setUpClass (module.Class)".
        d = getattr(test, "description", "")
        m = re.match(r"^(setUpClass|tearDownClass|setUpModule|"
                     r"tearDownModule) \((.+)\)$", d)
        if not m:
            return 1
        if m.group(1) == "setUpClass":
            return max(1, self.class_sizes.get(m.group(2), 1))
        if m.group(1) == "setUpModule":
            return max(1, sum(v for k, v in self.class_sizes.items()
                              if k.startswith(m.group(2) + ".")))
        return 1

    def addError(self, test, err):
        super().addError(test, err)
        self.failed += self._class_error(test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.failed += 1

    def addSubTest(self, test, subtest, err):
        # unittest files a failed subtest in self.failures without calling
        # addFailure: count every subtest here, passed or failed, so a
        # failing subtest can never hide behind "N passed, 0 failed".
        super().addSubTest(test, subtest, err)
        if err is None:
            self.passed += 1
        else:
            self.failed += 1

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        d = getattr(test, "description", "")
        if d.startswith("setUpClass ("):
            self.skipped_n += max(1, self.class_sizes.get(d[12:-1], 1))
        else:
            self.skipped_n += 1

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.passed += 1

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.failed += 1


def iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_tests(t)
        else:
            yield t


def validate_api(record):
    """Runs tests/api/validate.mjs on the recorded /api/ answers; returns
    (passed, failed, skipped) of its checks."""
    node = shutil.which("node")
    mods = os.path.join(ROOT, "node_modules")
    if not node or not all(os.path.isfile(os.path.join(mods, m, "package.json"))
                           for m in ("ajv", "ajv-formats")):
        print("api schema: skipped: the answers under /api/ were not "
              "validated (needs node and node_modules/ajv, ajv-formats: "
              "npm ci)")
        return 0, 0, 1
    if not os.path.exists(record) or os.path.getsize(record) == 0:
        print("api schema: no /api/ answers recorded")
        return 0, 0, 0
    cmd = [node, os.path.join(ROOT, "tests", "api", "validate.mjs"),
           os.path.join(ROOT, "src", "api", "openapi.json"), record]
    try:
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True,
                           timeout=300)
    except subprocess.TimeoutExpired:
        print("api schema: validate.mjs did not finish within 300 s")
        return 0, 1, 0
    out = p.stdout + p.stderr
    sys.stdout.write(out if out.endswith("\n") or not out else out + "\n")
    m = re.findall(r"^(\d+) passed, (\d+) failed\s*$", p.stdout, re.M)
    if not m or p.returncode not in (0, 1):
        print("api schema: validate.mjs exited %d without its counts"
              % p.returncode)
        return 0, 1, 0
    passed, failed = int(m[-1][0]), int(m[-1][1])
    if p.returncode != 0 and failed == 0:
        failed = 1
    return passed, failed, 0


def main(argv):
    patterns = []
    args = []
    i = 0
    while i < len(argv):
        if argv[i] == "-k" and i + 1 < len(argv):
            patterns.append(argv[i + 1])
            i += 2
            continue
        args.append(argv[i])
        i += 1
    binary = os.path.abspath(args[0] if args else os.environ.get(
        "GAZETTE_BIN") or os.path.join(ROOT, "build", "gazette"))
    if not os.access(binary, os.X_OK):
        print("gazette binary not found or not executable: %s" % binary)
        print("0 passed, 1 failed, 0 skipped")
        return 1
    os.environ["GAZETTE_BIN"] = binary
    sys.path.insert(0, HERE)
    record = os.environ.get("GZ_API_RECORD")
    own_record = not record
    if own_record:
        fd, record = tempfile.mkstemp(prefix="gz-api-", suffix=".jsonl")
        os.close(fd)
        os.environ["GZ_API_RECORD"] = record
    else:
        open(record, "w").close()  # this run's answers only

    loader = unittest.TestLoader()
    if patterns:
        loader.testNamePatterns = ["*%s*" % p for p in patterns]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    sizes = {}
    for t in iter_tests(suite):
        cls = type(t)
        key = "%s.%s" % (cls.__module__, cls.__qualname__)
        sizes[key] = sizes.get(key, 0) + 1
    CountingResult.class_sizes = sizes

    runner = unittest.TextTestRunner(stream=sys.stdout, verbosity=2,
                                     resultclass=CountingResult)
    start = time.monotonic()
    result = runner.run(suite)
    sys.stdout.flush()
    print("http tests took %.1fs" % (time.monotonic() - start))
    try:
        vp, vf, vs = validate_api(record)
    finally:
        if own_record:
            os.unlink(record)
    print("%d passed, %d failed, %d skipped" % (
        result.passed + vp, result.failed + vf, result.skipped_n + vs))
    return 1 if result.failed or vf or not result.wasSuccessful() else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
