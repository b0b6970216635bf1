#!/usr/bin/env bash
# Installs what the web view's browser test needs: Debian's chromium (headless) and
# npm's playwright-core (a driver only: it downloads no browser), into tests/browser/.
# Run by .ci/run; safe to run again. Without them the test says it skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium > /dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y --no-install-recommends chromium > /dev/null 2>&1 \
            || { apt-get update > /dev/null 2>&1 && apt-get install -y --no-install-recommends chromium > /dev/null; }
    else
        echo "install-browser: chromium is missing and cannot be installed here (needs root and apt-get)"
        exit 0
    fi
fi
if [ ! -d tests/browser/node_modules/playwright-core ]; then
    command -v npm > /dev/null || { echo "install-browser: npm is missing"; exit 0; }
    (cd tests/browser && npm install --no-audit --no-fund --silent > /dev/null)
fi
echo "install-browser: $(chromium --version 2> /dev/null), playwright-core $(node -p 'require("./tests/browser/node_modules/playwright-core/package.json").version')"
