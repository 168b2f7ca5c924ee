#!/usr/bin/env bash
# Builds (once) a Python 3.9 virtualenv holding the real ZenML 0.10.0, for the tests that
# drive `gitstore serve` with ZenML's own clients. ZenML 0.10 runs only on Python 3.9 with
# the dependency versions of its time: requirements-py39.txt beside this script pins them.
#
# Usage: make-env.sh            -> prints the environment's folder (its bin/python, bin/zenml)
# The folder is ${GITSTORE_TEST_CACHE:-~/.cache/gitstore-tests}/zenml010-<hash of the pins>;
# a finished build is reused. Exits non-zero with the reason when it cannot build one.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pins="$here/requirements-py39.txt"
hash=$(sha256sum "$pins" | cut -c1-16)
cache=${GITSTORE_TEST_CACHE:-${HOME}/.cache/gitstore-tests}
dest="$cache/zenml010-$hash"
if [ -x "$dest/bin/zenml" ] && [ -f "$dest/.complete" ]; then echo "$dest"; exit 0; fi
mkdir -p "$cache"
exec 9>"$cache/zenml010-$hash.lock"
flock 9   # one builder at a time; the others wait and reuse its result
if [ -x "$dest/bin/zenml" ] && [ -f "$dest/.complete" ]; then echo "$dest"; exit 0; fi

py=""
for cand in python3.9 "$(pyenv root 2>/dev/null || echo /nonexistent)/versions/3.9.18/bin/python3.9"; do
  if PYENV_VERSION=3.9.18 "$cand" -c 'import sys; assert sys.version_info[:2] == (3, 9)' 2>/dev/null; then
    py=$cand; break
  fi
done
[ -n "$py" ] || { echo "make-env.sh: no Python 3.9 found (pyenv 3.9.18 or python3.9 on PATH); ZenML 0.10.0 needs it" >&2; exit 2; }

rm -rf "$dest"   # an unfinished build (no .complete): start again
PYENV_VERSION=3.9.18 "$py" -m venv "$dest" >&2
grep -v '^zenml[ =]' "$pins" > "$dest/requirements.txt"
if ! "$dest/bin/pip" install -q --disable-pip-version-check --no-deps -r "$dest/requirements.txt" >&2 \
   || ! "$dest/bin/pip" install -q --disable-pip-version-check --no-deps zenml==0.10.0 >&2; then
  echo "make-env.sh: pip could not install ZenML 0.10.0's pinned requirements from the package registry" >&2
  exit 1
fi
cfg=$(mktemp -d)
ZENML_ANALYTICS_OPT_IN=false ZENML_CONFIG_PATH="$cfg" "$dest/bin/python" -c \
  'import zenml, zenml.zen_stores; assert zenml.__version__ == "0.10.0", zenml.__version__' >&2
rm -rf "$cfg"
touch "$dest/.complete"
echo "$dest"
