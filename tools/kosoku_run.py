#!/usr/bin/env python3
"""Run kosoku's fuzzingclient against a server, one case at a time, with a timeout per case.

    kosoku_run.py ws://127.0.0.1:9001 OUTDIR -i '1.*' [-i ...] [-x ...] [-t SECS] [-p N]

Same cases and report files as `kosoku -m fuzzingclient -o OUTDIR`, but kosoku
itself has no timeout for a peer that stops answering (in the opening handshake
or mid-case): it waits forever and writes no report at all. Here such a case is
abandoned after SECS and filed in index.json as behavior "TIMEOUT" under the
agent "(runner)", and the other cases still run and are reported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from kosoku import FailureError, run_fuzzingclient
from kosoku._report import write_reports  # what the kosoku CLI uses

from autobahn_check import expected_cases, sort_key


async def run(url: str, cases: list[str], timeout: float, parallel: int):
    sem = asyncio.Semaphore(parallel)

    async def one(case_id: str):
        async with sem:
            try:
                return await asyncio.wait_for(run_fuzzingclient(url, [case_id]), timeout)
            except FailureError as failure:  # some case did not pass: still a result
                return failure.results
            except asyncio.TimeoutError:
                print(f"kosoku_run: case {case_id} timed out after {timeout:g}s", file=sys.stderr)
                return case_id

    return await asyncio.gather(*(one(c) for c in cases))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("url")
    ap.add_argument("outdir", type=Path)
    ap.add_argument("-i", "--include", action="append", default=[])
    ap.add_argument("-x", "--exclude", action="append", default=[])
    ap.add_argument("-t", "--case-timeout", type=float, default=120)
    ap.add_argument("-p", "--parallel", type=int, default=1)
    args = ap.parse_args()

    cases = sorted(expected_cases(args.include, args.exclude) or (), key=sort_key)
    if not cases:
        print("kosoku_run: no case matches the selection", file=sys.stderr)
        return 2
    outcomes = asyncio.run(run(args.url, cases, args.case_timeout, args.parallel))
    results = [r for o in outcomes if not isinstance(o, str) for r in o]
    timeouts = [o for o in outcomes if isinstance(o, str)]

    write_reports(results, str(args.outdir))
    index_path = args.outdir / "index.json"
    index = json.loads(index_path.read_text())
    for case_id in timeouts:
        index.setdefault("(runner)", {})[case_id] = {
            "behavior": "TIMEOUT",
            "behaviorClose": "TIMEOUT",
            "remoteCloseCode": None,
            "duration": int(args.case_timeout * 1000),
            "reportfile": None,
        }
    index_path.write_text(json.dumps(index, sort_keys=True, indent=3))
    print(f"kosoku_run: {len(results)} cases reported, {len(timeouts)} timed out, in {args.outdir}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
