#!/bin/sh
# ctest systemd.verify: runs `systemd-analyze verify` on the unit. The unit given is a build-tree
# copy whose ExecStart points at the built hallwatchd, since verify requires the binary to exist.
# Exit 77 (skip) when the tool or the binary is missing, with the reason on stdout.
unit="$1"
binary="$2"
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "SKIP: systemd-analyze not found (install systemd to verify the unit)"
  exit 77
fi
if [ -z "$binary" ] || [ ! -x "$binary" ]; then
  echo "SKIP: hallwatchd is not built (${binary:-no hallwatchd target}); build it to verify the unit"
  exit 77
fi
# verify prints problems of our unit and of unrelated system units alike; only ours fail the test.
out=$(SYSTEMD_LOG_LEVEL=notice systemd-analyze verify "$unit" 2>&1)
rc=$?
echo "$out"
name=$(basename "$unit")
if [ $rc -ne 0 ] || echo "$out" | grep -q "$name"; then
  echo "FAIL: systemd-analyze verify reported problems in $name"
  exit 1
fi
echo "OK: $name verified"
