# Shared by scripts/run and scripts/test: a virtualenv with the pinned packages and the
# front-end packages from npm. Safe to run again; only installs what is missing or changed.
# Usage: source scripts/_bootstrap.sh requirements.txt
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

requirements_file=${1:-requirements.txt}
python_bin=${PYTHON:-python3}

if ! "$python_bin" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "taperapp needs Python 3.11 or newer (set PYTHON=/path/to/python3.11)." >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> Creating the virtual environment in .venv"
  "$python_bin" -m venv .venv
fi
stamp=".venv/.installed-$(basename "$requirements_file")"
if [ ! -f "$stamp" ] || [ "$requirements_file" -nt "$stamp" ] || [ requirements.txt -nt "$stamp" ]; then
  echo "==> Installing Python packages from $requirements_file"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements_file"
  touch "$stamp"
fi

if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "==> Installing Node.js and npm (Debian packages) for the front-end assets"
    apt-get -o DPkg::Lock::Timeout=900 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq nodejs npm >/dev/null
  else
    echo "npm is needed to install the front-end packages: install Node.js and npm." >&2
    exit 1
  fi
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> Installing front-end packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi

export PATH="$PWD/.venv/bin:$PATH"
