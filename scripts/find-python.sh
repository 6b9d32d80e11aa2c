#!/usr/bin/env bash
# Print the first Python 3.10-3.12 interpreter on PATH (MindSpore 2.10 wheels exist for those only).
for p in "${PYTHON:-}" python3.12 python3.11 python3.10 python3; do
  [ -n "$p" ] || continue
  if command -v "$p" >/dev/null 2>&1 &&
     "$p" -c 'import sys; sys.exit(0 if (3, 10) <= sys.version_info[:2] <= (3, 12) else 1)' 2>/dev/null; then
    command -v "$p"
    exit 0
  fi
done
echo "no Python 3.10-3.12 found (MindSpore 2.10 needs one); install python3.11 or set PYTHON=" >&2
exit 1
