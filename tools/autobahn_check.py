#!/usr/bin/env python3
"""Check an Autobahn (kosoku) index.json.

    autobahn_check.py REPORT_DIR|index.json -i '1.*' [-i ...] [-x '9.7.*' ...]

Prints one line per behavior with its count, the failing cases, and a closing
"autobahn: N passed, N failed" line. Exits 1 unless every expected case is in
the report and is OK or INFORMATIONAL, with an OK/INFORMATIONAL close
(NON-STRICT, UNIMPLEMENTED, ERROR, WRONG CODE, UNCLEAN... all fail).

The expected case set is kosoku's case list filtered by -i/-x (same `*` globs
as kosoku), or the whole suite without -i; EXPECT_CASES=N overrides its size.
ALLOW_RUNNER_FAULTS="13.2.1 12.*" (space/comma separated ids or globs) lists
cases whose failure is blamed on the runner: shown as "runner fault", not failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections import Counter
from pathlib import Path

PASS = {"OK", "INFORMATIONAL"}


def glob(patterns: list[str]) -> re.Pattern[str]:
    # kosoku globs: only `*` is special and it also matches dots.
    alts = "|".join(re.escape(p).replace(r"\*", ".*") for p in patterns)
    return re.compile(f"(?:{alts})\\Z" if alts else r"(?!)")


def sort_key(case_id: str) -> list[int]:
    return [int(p) if p.isdigit() else 0 for p in case_id.split(".")]


def expected_cases(include: list[str], exclude: list[str]) -> set[str] | None:
    try:
        from kosoku.cases import CASES  # only in tools/.venv
    except ImportError:
        return None
    inc, exc = glob(include or ["*"]), glob(exclude)
    return {c for c in CASES if inc.match(c) and not exc.match(c)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("report", type=Path, help="report dir or its index.json")
    ap.add_argument("-i", "--include", action="append", default=[])
    ap.add_argument("-x", "--exclude", action="append", default=[])
    ap.add_argument("--agent", help="agent to check if the report has several")
    args = ap.parse_args()

    index_path = args.report / "index.json" if args.report.is_dir() else args.report
    try:
        index = json.loads(index_path.read_text())
    except (OSError, ValueError) as e:
        print(f"autobahn: FAIL: no readable report at {index_path}: {e}")
        return 1
    # kosoku names the agent after the peer's Server header (server mode), but files
    # cases whose handshake never completed under "HOST:PORT": merge all agents.
    agents = [args.agent] if args.agent else sorted(index)
    cases: dict[str, dict] = {}
    for agent in agents:
        for case_id, r in index.get(agent, {}).items():
            # A failure anywhere wins over a pass: either field failing
            # replaces what an earlier agent reported for the case.
            failing = r.get("behavior") not in PASS or r.get("behaviorClose") not in PASS
            if case_id not in cases or failing:
                cases[case_id] = r

    allowed = glob(os.environ.get("ALLOW_RUNNER_FAULTS", "").replace(",", " ").split())
    counts: Counter[str] = Counter()
    failed: list[str] = []
    faults: list[str] = []
    for case_id in sorted(cases, key=sort_key):
        r = cases[case_id]
        beh, close = r.get("behavior", "?"), r.get("behaviorClose", "?")
        counts[beh] += 1
        if beh in PASS and close in PASS:
            continue
        line = f"  {case_id}: {beh} (close: {close}, remote code: {r.get('remoteCloseCode')})"
        if beh == "ERROR":  # the runner's exception text is only in the case file
            try:
                line += ": " + json.loads((index_path.parent / r["reportfile"]).read_text())["result"][:200]
            except (OSError, ValueError, KeyError):
                pass
        (faults if allowed.match(case_id) else failed).append(line)

    errors: list[str] = []
    want = expected_cases(args.include, args.exclude)
    if want is not None:
        missing = sorted(want - cases.keys(), key=sort_key)
        extra = sorted(cases.keys() - want, key=sort_key)
        if missing:
            errors.append(f"{len(missing)} expected cases missing: {' '.join(missing[:20])}{' ...' if len(missing) > 20 else ''}")
        if extra:
            errors.append(f"{len(extra)} unexpected cases: {' '.join(extra[:20])}")
    n_want = int(os.environ["EXPECT_CASES"]) if os.environ.get("EXPECT_CASES") else (len(want) if want is not None else None)
    if n_want is None:
        errors.append("cannot tell how many cases to expect: run under tools/.venv or set EXPECT_CASES")
    elif len(cases) != n_want:
        errors.append(f"report has {len(cases)} cases, expected {n_want}")

    print(f"autobahn report {index_path} (agents {', '.join(agents)}; {len(cases)} cases)")
    for beh, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        print(f"  {beh:<14} {n}")
    if faults:
        print(f"runner faults (allowed by ALLOW_RUNNER_FAULTS): {len(faults)}", *faults, sep="\n")
    if failed:
        print(f"failing cases: {len(failed)}", *failed, sep="\n")
    for e in errors:
        print(f"autobahn: FAIL: {e}")
    n_failed = len(failed) + (len(want - cases.keys()) if want is not None else 0)
    n_passed = len(cases) - len(failed) - len(faults)
    print(f"autobahn: {n_passed} passed, {n_failed} failed" + (f", {len(faults)} skipped" if faults else ""))
    return 1 if failed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
