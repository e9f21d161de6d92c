#!/usr/bin/env bash
# Refresh the repository's copies of the shared spec (scenario files, api.md) from a
# shared/ folder beside the checkout (or the folder given). The tests read only the copies.
# The scenario files are version 2's (spec/scenarios-v2, domain.md v2); FORMAT.md, which
# describes both versions, lives beside version 1's files.
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${1:-../shared}"
[ -d "$shared/spec/scenarios-v2" ] || { echo "no $shared/spec/scenarios-v2" >&2; exit 2; }
find tests/e2e/scenarios -maxdepth 1 -type f ! -name SOURCE.md -delete
cp "$shared"/spec/scenarios-v2/* tests/e2e/scenarios/
cp "$shared/spec/scenarios/FORMAT.md" tests/e2e/scenarios/
cp "$shared/spec/api.md" tests/contract/spec/api.md
git status --short tests/e2e/scenarios tests/contract/spec
