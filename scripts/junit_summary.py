"""Add up the JUnit reports of both environments into one closing line."""

import sys
import xml.etree.ElementTree as ET


def main(paths: list[str]) -> int:
    """Print 'N passed, N failed, N skipped' over all reports; non-zero when nothing ran."""
    passed = failed = skipped = 0
    for path in paths:
        root = ET.parse(path).getroot()  # noqa: S314
        suites = [root] if root.tag == "testsuite" else list(root)
        for suite in suites:
            tests = int(suite.get("tests", 0))
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            skip = int(suite.get("skipped", 0))
            failed += bad
            skipped += skip
            passed += tests - bad - skip
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 0 if passed and not failed else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
