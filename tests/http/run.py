#!/usr/bin/env python3
"""Runs every tests/http/test_*.py against a gazette binary.

Usage: tests/http/run.py [GAZETTE_BINARY] [-k PATTERN]...

The binary defaults to $GAZETTE_BIN, else build/gazette under the
repository root. -k runs only the tests whose names contain PATTERN. The last
line printed is exactly `N passed, N failed, N skipped`, counted per test
method (errors count as failed; a class whose setUpClass fails counts each
of its tests as failed; a failing tearDownClass adds one failure). The exit
status is non-zero when anything failed.
"""
import os
import re
import sys
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
    print("%d passed, %d failed, %d skipped" % (
        result.passed, result.failed, result.skipped_n))
    return 1 if result.failed or not result.wasSuccessful() else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
