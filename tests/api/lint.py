#!/usr/bin/env python3
"""Lints src/api/openapi.json with Redocly CLI (the `openapi-lint` test).

Usage: tests/api/lint.py [REPO_ROOT]   (default: the parent of tests/)

Runs node_modules' @redocly/cli (the version package-lock.json pins)
`lint --config tests/api/redocly.yaml --format json` offline: telemetry
and the update check off, and every proxy variable pointing at a closed
local port so nothing can leave the machine. Two checks:

  document   the document lints with no error and no warning (each
             problem is printed with its rule and place)
  self-test  a copy with a known defect (an operation without
             operationId) is refused, so a configuration that lets
             everything through fails instead of passing silently

The last line is `N passed, N failed`; the exit status is 1 when a check
failed, 77 (skipped) without node or node_modules (npm ci) or with a node
older than Redocly CLI supports.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))


def skip(msg):
    print("openapi-lint: skipped: " + msg)
    sys.exit(77)


def node_ok(node):
    """Redocly CLI 2.x needs node >= 20.19 (20.x) or >= 22.12."""
    try:
        v = subprocess.run([node, "--version"], capture_output=True,
                           text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return False, "?"
    m = re.match(r"^v(\d+)\.(\d+)", v)
    if not m:
        return False, v
    major, minor = int(m.group(1)), int(m.group(2))
    ok = (major == 20 and minor >= 19) or (major == 22 and minor >= 12) \
        or major >= 23
    return ok, v


def lint(root, node, cli, doc, config):
    """Returns (problems list, error text or None)."""
    env = dict(os.environ)
    env.update({
        "REDOCLY_TELEMETRY": "off",
        "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
        "CI": "true",
        "NO_COLOR": "1",
        # Nothing is fetched when linting a local file with local rules;
        # should anything try, it meets a closed port.
        "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
        "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
        "NO_PROXY": "", "no_proxy": "",
    })
    cmd = [node, cli, "lint", doc, "--config", config, "--format", "json",
           "--max-problems", "1000"]
    try:
        p = subprocess.run(cmd, cwd=root, env=env, capture_output=True,
                           text=True, timeout=150)
    except subprocess.TimeoutExpired:
        return None, "redocly lint did not finish within 150 s"
    out = p.stdout
    start = out.find("{")
    try:
        report = json.loads(out[start:]) if start >= 0 else None
    except ValueError:
        report = None
    if not isinstance(report, dict) or "problems" not in report:
        return None, "redocly lint (exit %d) printed no JSON report:\n%s%s" % (
            p.returncode, out[-2000:], p.stderr[-2000:])
    return report["problems"], None


def describe(problem):
    where = ""
    for loc in problem.get("location") or []:
        ptr = loc.get("pointer")
        if ptr:
            where = ptr
            break
    return "%s %s: %s %s" % (problem.get("severity", "?"),
                             problem.get("ruleId", "?"),
                             problem.get("message", ""), where)


def main(argv):
    root = os.path.abspath(argv[1] if len(argv) > 1 else
                           os.path.dirname(os.path.dirname(HERE)))
    doc = os.path.join(root, "src", "api", "openapi.json")
    config = os.path.join(root, "tests", "api", "redocly.yaml")
    cli = os.path.join(root, "node_modules", "@redocly", "cli", "bin",
                       "cli.js")
    node = shutil.which("node")
    if not node:
        skip("no node")
    if not os.path.isfile(cli):
        skip("no node_modules/@redocly/cli (run npm ci)")
    ok, version = node_ok(node)
    if not ok:
        skip("node %s is older than Redocly CLI supports (20.19 or 22.12)"
             % version)

    passed = failed = 0

    problems, err = lint(root, node, cli, doc, config)
    if err:
        print("FAIL document: " + err)
        failed += 1
    elif problems:
        print("FAIL document: %d problem(s) in src/api/openapi.json:"
              % len(problems))
        for pr in problems:
            print("  " + describe(pr))
        failed += 1
    else:
        print("ok   document: src/api/openapi.json lints clean")
        passed += 1

    # The self-test: a copy without one operationId must be refused.
    with open(doc, encoding="utf-8") as f:
        broken = json.load(f)
    tmp = tempfile.mkdtemp(prefix="gz-openapi-lint-")
    try:
        first = None
        for item in broken.get("paths", {}).values():
            for method in ("get", "post", "patch", "delete"):
                if isinstance(item.get(method), dict):
                    first = item[method]
                    break
            if first:
                break
        if first is not None:
            first.pop("operationId", None)
        path = os.path.join(tmp, "openapi.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(broken, f)
        problems, err = lint(root, node, cli, path, config)
        rules = {p.get("ruleId") for p in problems or []
                 if p.get("severity") == "error"}
        if err:
            print("FAIL self-test: " + err)
            failed += 1
        elif "operation-operationId" not in rules:
            print("FAIL self-test: an operation without operationId was not "
                  "reported as an error (rules reported: %s)"
                  % ", ".join(sorted(r for r in rules if r)))
            failed += 1
        else:
            print("ok   self-test: a defect is reported")
            passed += 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
