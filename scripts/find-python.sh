#!/usr/bin/env bash
# Prints the path of a Python ≥ 3.11 whose sqlite3 can load extensions (SpatiaLite needs it).
# Debian's /usr/bin/python3 can; some pyenv builds cannot.
check='import sys, sqlite3; assert sys.version_info >= (3, 11); sqlite3.connect(":memory:").enable_load_extension(True)'
for candidate in "${CITYWATCH_PYTHON:-}" /usr/bin/python3 /usr/bin/python3.13 /usr/bin/python3.12 /usr/bin/python3.11 \
                 "$(command -v python3.13 || true)" "$(command -v python3.12 || true)" "$(command -v python3.11 || true)" \
                 "$(command -v python3 || true)"; do
  [ -n "$candidate" ] && [ -x "$candidate" ] || continue
  if "$candidate" -c "$check" >/dev/null 2>&1 && "$candidate" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    echo "$candidate"; exit 0
  fi
done
cat >&2 <<'MSG'
No suitable Python found: CityWatch needs Python 3.11 or newer whose sqlite3 module can load extensions
(for SpatiaLite), with venv and ensurepip. On Debian: sudo apt-get install python3 python3-venv
(Debian's /usr/bin/python3 works). Or point CITYWATCH_PYTHON at such an interpreter.
MSG
exit 1
