#!/usr/bin/env bash
# Runs inside `dbus-run-session -- xvfb-run …` (scripts/e2e starts it; do not run it by hand):
# starts tauri-driver, waits until it listens, runs the tests, stops tauri-driver.
set -uo pipefail
cd "$(dirname "$0")"
: "${E2E_TMP:?}" "${E2E_TAURI_DRIVER:?}" "${E2E_PORT:?}" "${E2E_NATIVE_PORT:?}" "${E2E_ARTIFACTS:?}"

# A Secret Service on the session bus, unlocked (the app keeps its sessions' refresh tokens in
# the OS keyring): gnome-keyring with a throwaway password, in this run's private HOME.
eval "$(printf e2e | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL

# Started from the run's data directory: the app inherits it as its working directory (where
# its file dialogs open), so it never sees the repository.
(cd "$E2E_TMP" && exec "$E2E_TAURI_DRIVER" --port "$E2E_PORT" --native-port "$E2E_NATIVE_PORT") \
  >"$E2E_ARTIFACTS/tauri-driver.log" 2>&1 &
driver=$!
trap 'kill "$driver" 2>/dev/null; wait "$driver" 2>/dev/null' EXIT

# Poll (at most 20 s) until tauri-driver accepts connections.
deadline=$((SECONDS + 20))
until (exec 3<>"/dev/tcp/127.0.0.1/$E2E_PORT") 2>/dev/null; do
  if ! kill -0 "$driver" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
    echo "e2e: tauri-driver did not start on port $E2E_PORT:" >&2
    cat "$E2E_ARTIFACTS/tauri-driver.log" >&2
    exit 1
  fi
  sleep 0.1
done

# One test file at a time (each test starts its own app); each test is bounded by its own
# timeout, the whole run by scripts/e2e.
specs=(specs/*.test.js)
if [ -n "${E2E_ONLY:-}" ]; then specs=(specs/*"$E2E_ONLY"*.test.js); fi
node --test --test-concurrency=1 \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=junit --test-reporter-destination="$E2E_ARTIFACTS/junit.xml" \
  "${specs[@]}"
