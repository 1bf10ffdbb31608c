#!/usr/bin/env bash
# Create or refresh the two virtual environments at fixed paths:
#   .venv       Python 3.11: the app (editable install, console script `asnbot`), dev tools
#   .venv-rasa  Python 3.10: rasa==3.6.21 and its pins only (nlu/requirements.lock)
# Each is rebuilt only when its dependency files (or the interpreter) change: a stamp file inside
# the venv holds the hash they had at the last successful install, so a warm run takes seconds.
# Usage: scripts/setup.sh [app|rasa|all]
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"

log() { printf '[setup] %s\n' "$*" >&2; }

# find_python X.Y -> prints a path to a working pythonX.Y: PATH first, then pyenv, then /usr.
find_python() {
  local want="$1" c candidates=()
  candidates+=("python$want")
  if command -v pyenv >/dev/null 2>&1; then
    candidates+=("$(pyenv root)"/versions/"$want".*/bin/python"$want")
  fi
  candidates+=("$HOME/.pyenv/versions/$want".*/bin/python"$want" /usr/bin/python"$want" /usr/local/bin/python"$want")
  for c in "${candidates[@]}"; do
    if command -v "$c" >/dev/null 2>&1 \
      && "$c" -c "import sys, venv; sys.exit(sys.version_info[:2] != tuple(map(int, '$want'.split('.'))))" 2>/dev/null; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# ensure_venv DIR PYTHON KEY INSTALL_FN: (re)install when the stamp differs from KEY.
ensure_venv() {
  local dir="$1" python="$2" key="$3" install="$4"
  if [[ -x "$dir/bin/python" && -f "$dir/.setup-stamp" && "$(cat "$dir/.setup-stamp")" == "$key" ]]; then
    log "$dir is up to date"
    return 0
  fi
  if [[ -x "$dir/bin/python" ]] && ! "$dir/bin/python" -c "import sys" 2>/dev/null; then
    rm -rf "$dir"  # interpreter gone (e.g. pyenv version removed)
  fi
  if [[ ! -x "$dir/bin/python" ]]; then
    log "creating $dir with $python"
    rm -rf "$dir"
    "$python" -m venv "$dir"
  fi
  local started=$SECONDS
  "$install" "$dir"
  echo "$key" > "$dir/.setup-stamp"
  log "$dir ready in $((SECONDS - started)) s"
}

install_app() {
  local dir="$1"
  log "installing the app into $dir (pyproject.toml, requirements.lock)"
  "$dir/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip
  "$dir/bin/python" -m pip install -q --disable-pip-version-check -c requirements.lock -e ".[dev]"
}

install_rasa() {
  local dir="$1"
  log "installing rasa 3.6.21 into $dir (nlu/requirements.lock); first time takes a few minutes"
  "$dir/bin/python" -m pip install -q --disable-pip-version-check --upgrade "pip<25"
  "$dir/bin/python" -m pip install -q --disable-pip-version-check -r nlu/requirements.lock
}

no_python() {
  cat >&2 <<MSG
[setup] ERROR: Python $1 was not found (looked on PATH for python$1, then in \$(pyenv root)/versions/$1.*).
[setup] $2
[setup] Install it, for example with pyenv:   pyenv install $1
[setup] or with your distribution:            apt-get install python$1 python$1-venv
MSG
  exit 1
}

# Serialise concurrent runs (e.g. `make run` and `make test` started together).
exec 9>".setup.lock"
flock 9

pids=()
if [[ "$what" == app || "$what" == all ]]; then
  py311="$(find_python 3.11)" || no_python 3.11 "The app needs Python 3.11."
  key="$(hash_of pyproject.toml requirements.lock)-$("$py311" -c 'import sys; print(sys.version)' | head -1)"
  ensure_venv .venv "$py311" "$key" install_app > >(cat >&2) &
  pids+=($!)
fi
if [[ "$what" == rasa || "$what" == all ]]; then
  py310="$(find_python 3.10)" || no_python 3.10 "Rasa 3.6.21 supports Python 3.8-3.10 only; it runs in its own venv (.venv-rasa)."
  key="$(hash_of nlu/requirements.lock)-$("$py310" -c 'import sys; print(sys.version)' | head -1)"
  ensure_venv .venv-rasa "$py310" "$key" install_rasa &
  pids+=($!)
fi
# The console's htmx (no CDN: the app serves it). Fetched once from the npm registry at a pinned
# version (npm checks the package's integrity) into the git-ignored web/static/vendor/.
HTMX_VERSION=2.0.11
fetch_htmx() {
  local target=web/static/vendor/htmx.min.js tmp
  [[ -f "$target" && "$(cat web/static/vendor/.htmx-version 2>/dev/null)" == "$HTMX_VERSION" ]] && return 0
  if ! command -v npm >/dev/null 2>&1; then
    log "WARNING: npm not found: the console works without htmx's live updates (install npm, rerun)"
    return 0
  fi
  tmp="$(mktemp -d)"
  if (cd "$tmp" && npm pack --silent "htmx.org@$HTMX_VERSION" >/dev/null 2>&1) \
    && tar -xzf "$tmp"/htmx.org-"$HTMX_VERSION".tgz -C "$tmp" package/dist/htmx.min.js; then
    mkdir -p web/static/vendor
    cp "$tmp/package/dist/htmx.min.js" "$target"
    echo "$HTMX_VERSION" > web/static/vendor/.htmx-version
    log "htmx $HTMX_VERSION in $target"
  else
    log "WARNING: could not fetch htmx $HTMX_VERSION from npm: the console runs without live updates"
  fi
  rm -rf "$tmp"
}
if [[ "$what" == app || "$what" == all ]]; then fetch_htmx; fi

status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit "$status"
