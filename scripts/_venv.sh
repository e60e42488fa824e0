# Sourced by scripts/*: creates .venv and installs meshctl with its sandbox and test extras when
# pyproject.toml changed since the last install (a stamp file records it). Users install the wheel
# (`pip install istio-meshctl`, pipx, uv tool); tests/packaging checks that wheel in a venv of its own.
ensure_venv() {
  local py=${PYTHON:-python3}
  if [ ! -x .venv/bin/python ]; then
    "$py" -m venv .venv
  fi
  local stamp=.venv/.meshctl-installed
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
    # Editable in setuptools' compat mode: a plain .pth path entry. The default (strict) mode installs an
    # import finder whose start-up import (pathlib, re, fnmatch) adds 20-25 ms to every meshctl run.
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[sandbox,test]' --config-settings editable_mode=compat
    touch "$stamp"
  fi
  # An editable install is not byte-compiled, and with PYTHONDONTWRITEBYTECODE=1 (as on our machines)
  # runs never write .pyc files: each would recompile meshctl (~45% more start-up work for
  # `meshctl pc cluster -f small.json`). Run every time, as sources change; fresh .pyc files are kept.
  .venv/bin/python -m compileall -q meshctl >/dev/null
}
