#!/usr/bin/env bash
# Print the path of a Python interpreter of the given minor version (default 3.13), or explain
# how to get one and exit 1. The Makefile builds its virtualenvs with it.
#
# Order: an explicit PYTHON that is that version; `pythonX.Y` on PATH when it really runs
# (pyenv's shim is on PATH for every installed version but answers only for the selected
# one); a pyenv-installed X.Y.*; uv's managed X.Y.
set -euo pipefail

want="${1:-3.13}"

is_wanted() {
  [ -n "$1" ] && "$1" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" 2>/dev/null
}

if [ -n "${PYTHON:-}" ]; then
  if is_wanted "$PYTHON"; then command -v "$PYTHON"; exit 0; fi
  echo "PYTHON=$PYTHON is not Python $want; unset it or point it at a python$want" >&2
  exit 1
fi

if is_wanted "python$want"; then
  command -v "python$want"
  exit 0
fi

if command -v pyenv >/dev/null 2>&1; then
  version=$(pyenv versions --bare 2>/dev/null | grep -E "^${want//./\\.}\.[0-9]+$" | sort -t. -k3 -n | tail -n 1 || true)
  candidate="$(pyenv root)/versions/$version/bin/python$want"
  if [ -n "$version" ] && is_wanted "$candidate"; then
    echo "$candidate"
    exit 0
  fi
fi

if command -v uv >/dev/null 2>&1; then
  candidate=$(uv python find "$want" 2>/dev/null || true)
  if is_wanted "$candidate"; then
    echo "$candidate"
    exit 0
  fi
fi

cat >&2 <<EOF
Python $want is needed (the functions run on Lambda's python$want, and the zip is built and tested
with the same interpreter), and none was found. Install it with one of:
  pyenv install $want            (then nothing else: the Makefile finds pyenv's versions)
  uv python install $want
  apt-get install python$want python$want-venv   (Debian/Ubuntu releases that ship it)
  brew install python@$want
or point the Makefile at one: make <target> PYTHON=/path/to/python$want
EOF
exit 1
