#!/usr/bin/env python3
"""Tests of tools/autobahn_check.py, the gate every Autobahn run passes:
it must fail a report that hides a failure behind an earlier pass.

usage: python3 tools/test_autobahn_check.py
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

CHECK = Path(__file__).with_name("autobahn_check.py")


def run(index: dict) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "index.json"
        path.write_text(json.dumps(index))
        env = {k: v for k, v in os.environ.items() if k != "ALLOW_RUNNER_FAULTS"}
        env["EXPECT_CASES"] = str(len({c for a in index.values() for c in a}))
        return subprocess.run(
            [sys.executable, str(CHECK), str(path)],
            capture_output=True, text=True, env=env,
        )


def case(behavior: str, close: str) -> dict:
    return {"behavior": behavior, "behaviorClose": close, "remoteCloseCode": 1000,
            "reportfile": "x.json"}


class Merge(unittest.TestCase):
    def test_all_ok_passes(self):
        result = run({"wsdriver": {"1.1.1": case("OK", "OK")}})
        self.assertEqual(result.returncode, 0, result.stdout)

    def test_a_failing_close_after_a_pass_fails(self):
        # Two agents report the same case: OK/OK, then OK/UNCLEAN.
        result = run({
            "a": {"1.1.1": case("OK", "OK")},
            "b": {"1.1.1": case("OK", "UNCLEAN")},
        })
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("1.1.1: OK (close: UNCLEAN", result.stdout)

    def test_a_failing_behavior_after_a_pass_fails(self):
        result = run({
            "a": {"1.1.1": case("OK", "OK")},
            "b": {"1.1.1": case("FAILED", "OK")},
        })
        self.assertEqual(result.returncode, 1, result.stdout)

    def test_a_pass_after_a_failure_does_not_hide_it(self):
        result = run({
            "a": {"1.1.1": case("OK", "UNCLEAN")},
            "b": {"1.1.1": case("OK", "OK")},
        })
        self.assertEqual(result.returncode, 1, result.stdout)


if __name__ == "__main__":
    unittest.main()
