"""The whole product on one machine: simulated Sparks, diarizer add-on, a real Home Assistant.

`python -m demo` (what `make demo` runs) and the browser end-to-end test in tests/e2e/ share this
package, so the demo a user sees is the system the test checks.
"""
