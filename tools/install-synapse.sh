#!/usr/bin/env bash
# Install the Synapse homeserver that the Matrix tests (tests/matrix) and `make matrix-dev`
# start by themselves: matrix-synapse from PyPI in a throw-away virtual environment of its own
# (default .venv-synapse), with the versions locked in tools/synapse/requirements.txt so that a
# fresh clone gets the homeserver the tests were written against. Synapse is a test partner,
# not part of the product: it never enters the app's environment. Idempotent.
#   tools/install-synapse.sh PYTHON [VENV]
set -euo pipefail

python="${1:?Ange Python-tolken (3.10+) som första argument.}"
venv="${2:-.venv-synapse}"
here="$(cd "$(dirname "$0")" && pwd)"
requirements="$here/synapse/requirements.txt"
marker="$venv/.installed"

if [ -f "$marker" ] && [ "$marker" -nt "$requirements" ] && [ -x "$venv/bin/python" ]; then
  exit 0
fi
echo "Installerar Synapse (Matrix-hemserver för testerna) i $venv …"
test -x "$venv/bin/python" || "$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
# --only-binary: Synapse's Rust parts come as a wheel; building them would need a Rust toolchain.
"$venv/bin/python" -m pip install -q --only-binary matrix-synapse -r "$requirements"
"$venv/bin/python" -c "import synapse; print('Synapse', synapse.__version__)"
touch "$marker"
