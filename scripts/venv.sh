#!/usr/bin/env bash
# Creates .venv with the project and its test extras (idempotent: reinstalls only when pyproject.toml or
# constraints.txt changed).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="${PYTHON:-python3.11}"
command -v "$py" >/dev/null 2>&1 || py=python3
if [ ! -x "$root/.venv/bin/python" ]; then
  "$py" -m venv "$root/.venv"
fi
stamp="$root/.venv/.installed-$(cat "$root/pyproject.toml" "$root/constraints.txt" | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  "$root/.venv/bin/pip" install -q --upgrade pip
  # constraints.txt pins the versions the suite last passed with (regenerate: pip freeze --exclude-editable)
  "$root/.venv/bin/pip" install -q -c "$root/constraints.txt" -e "$root[test]"
  rm -f "$root"/.venv/.installed-* && touch "$stamp"
fi
