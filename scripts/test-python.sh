#!/usr/bin/env bash
# django-nostale's tests: one virtualenv per supported Django under .venv-python/, created and
# filled on first use (pinned versions), then pytest against a real redis-server and SQLite.
#   bash scripts/test-python.sh            set up if needed, run pytest for every Django version
#   bash scripts/test-python.sh --setup    only set up (the Node end-to-end test needs gunicorn)
# Summaries go to test-results/pytest-django-*.xml (JUnit) for .ci/run's closing line.
set -euo pipefail
cd "$(dirname "$0")/.."

DJANGO_VERSIONS=(4.2.30 5.2.19)
PYTHON="${NOSTALE_PYTHON:-python3}"
ROOT=.venv-python

command -v "$PYTHON" >/dev/null || { echo "error: $PYTHON not found; install Python 3.10+ (Debian: sudo apt-get install -y python3 python3-venv)" >&2; exit 1; }

setup() {
  local version="$1" venv="$ROOT/django-${1%.*}"
  local stamp="$venv/.nostale-deps" wanted
  wanted="django==$version $(sha256sum python/requirements-test.txt | cut -c1-16)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then return 0; fi
  echo "[test-python] creating $venv (Django $version)"
  rm -rf "$venv"
  "$PYTHON" -m venv "$venv" || {
    echo "error: '$PYTHON -m venv' failed; on Debian's system Python run: sudo apt-get install -y python3-venv" >&2
    exit 1
  }
  "$venv/bin/pip" install --quiet --disable-pip-version-check "django==$version" -r python/requirements-test.txt || {
    echo "error: pip could not install Django $version and python/requirements-test.txt (is PyPI reachable?)" >&2
    exit 1
  }
  echo "$wanted" >"$stamp"
}

for version in "${DJANGO_VERSIONS[@]}"; do setup "$version"; done
[[ "${1:-}" == "--setup" ]] && exit 0

mkdir -p test-results
status=0
for version in "${DJANGO_VERSIONS[@]}"; do
  venv="$ROOT/django-${version%.*}"
  echo "[test-python] pytest with Django $version"
  rc=0
  (cd python && "../$venv/bin/python" -m pytest -q -p no:cacheprovider --junitxml="../test-results/pytest-django-${version%.*}.xml" "${@}") || rc=$?
  if [[ $rc -eq 5 ]]; then
    echo "error: pytest collected no tests for Django $version (python/tests missing or filtered away)" >&2
    status=1
  elif [[ $rc -ne 0 ]]; then
    status=$rc
  fi
done
exit "$status"
