#!/usr/bin/env python3
"""Prints every failed test in the TRX files under a results directory: name, message and the top of its stack.

tools/test calls it last, so that the end of a long CI log (often the only part kept) says what failed and why,
whatever order the test projects finished in. Exits 0 whatever it finds; the test run's own status decides."""
import sys
import pathlib
import xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
MAX_STACK_LINES = 12
MAX_OUTPUT_LINES = 25


def clip(text, lines):
    rows = (text or "").strip().splitlines()
    return rows[:lines] + ([f"... ({len(rows) - lines} more lines)"] if len(rows) > lines else [])


def main(results):
    failures = 0
    for trx in sorted(pathlib.Path(results).rglob("*.trx")):
        try:
            root = ET.parse(trx).getroot()
        except ET.ParseError as error:
            print(f"(could not read {trx}: {error})")
            continue
        for result in root.iterfind(".//t:UnitTestResult", NS):
            if result.get("outcome") not in ("Failed", "Error", "Timeout", "Aborted"):
                continue
            failures += 1
            print(f"FAILED {result.get('testName')} [{result.get('duration')}] ({trx.name})")
            output = result.find("t:Output", NS)
            message = output.findtext("t:ErrorInfo/t:Message", default="", namespaces=NS) if output is not None else ""
            stack = output.findtext("t:ErrorInfo/t:StackTrace", default="", namespaces=NS) if output is not None else ""
            stdout = output.findtext("t:StdOut", default="", namespaces=NS) if output is not None else ""
            for line in clip(message, 40):
                print(f"  {line}")
            for line in clip(stack, MAX_STACK_LINES):
                print(f"    {line}")
            if stdout.strip():
                print("  output (last lines):")
                rows = stdout.strip().splitlines()
                for line in rows[-MAX_OUTPUT_LINES:]:
                    print(f"    | {line[:300]}")
    if failures == 0:
        print("(no failed test in the TRX files)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "TestResults")
