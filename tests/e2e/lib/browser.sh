#!/bin/sh
# The "system browser" of the end-to-end tests (the app's OMNI_BROWSER): signs in on the test
# provider's pages over HTTP and delivers the callback to the app's loopback listener, as
# $E2E_TMP/browser.json says (tests/oidc/README.md).
OMNI_TEST_BROWSER_FILE="${E2E_TMP:?}/browser.json" exec node "$(dirname "$0")/../../oidc/login.mjs" "$1"
