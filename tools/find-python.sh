#!/usr/bin/env bash
# Print the path of a Python interpreter of the wanted version family.
#   tools/find-python.sh 3.10      → exactly 3.10 (the engine: Rasa 3.6)
#   tools/find-python.sh 3.11+     → 3.11 or newer (the app)
# Looks on PATH, then in pyenv, then in ~/.pyenv/versions. Exit 1 with advice when missing.
set -u
want="$1"
# Prints the real interpreter (not a pyenv shim) when it has the wanted version.
ok() { "$1" -c "import sys; v=sys.version_info[:2]; print(sys.executable) if $2 else None; raise SystemExit(0 if $2 else 1)" 2>/dev/null; }
case "$want" in
  3.10) cond="v == (3, 10)"; names="python3.10"; prefix="3.10" ;;
  3.11+) cond="v >= (3, 11)"; names="python3 python3.13 python3.12 python3.11"; prefix="3.1[1-9]" ;;
  *) echo "usage: $0 3.10|3.11+" >&2; exit 2 ;;
esac
for n in $names; do
  p=$(command -v "$n" 2>/dev/null) && ok "$p" "$cond" && exit 0
done
if command -v pyenv >/dev/null 2>&1; then
  for v in $(pyenv versions --bare 2>/dev/null | grep -E "^${prefix}" | sort -rV); do
    p="$(pyenv root)/versions/$v/bin/python"
    [ -x "$p" ] && ok "$p" "$cond" && exit 0
  done
fi
for p in $(ls -d "$HOME"/.pyenv/versions/${prefix}* 2>/dev/null | sort -rV); do
  [ -x "$p/bin/python" ] && ok "$p/bin/python" "$cond" && exit 0
done
if [ "$want" = "3.10" ]; then
  echo "Python 3.10 saknas (krävs av Rasa 3.6). Installera med 'pyenv install 3.10' eller ange PYTHON310=/sökväg/till/python3.10." >&2
else
  echo "Python 3.11 eller senare saknas. Installera med 'pyenv install 3.11' eller ange PYTHON_APP=/sökväg/till/python3." >&2
fi
exit 1
