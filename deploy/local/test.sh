#!/usr/bin/env bash
# make test: set up, start the test profile's own PostgreSQL and RabbitMQ (separate data and
# ports from `make run`), run pytest, and stop what it started, also when a test fails.
set -euo pipefail
export SA_PROFILE=test PG_FSYNC=off
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
INFRA="$ROOT/deploy/local/infra.sh"

"$INFRA" setup
trap '"$INFRA" stop' EXIT
"$INFRA" start
export SA_TEST_RABBIT_CTL="$RABBIT_BIN/rabbitmqctl" SA_TEST_RABBIT_HOME="$HOME_RABBIT"
export SA_TEST_PG_CTL="$PG_BIN/pg_ctl" SA_TEST_PG_DATA="$RUN_DIR/pg"     # database outages (tests/faults)
cd "$ROOT"
set +e
"$VENV/bin/python" -m pytest --amqp-uri "$AMQP_URI" --rabbit-api-uri "$RABBIT_API_URI" "$@"
status=$?
# the browser tests: a pytest process of their own, without eventlet (Playwright hangs under it);
# skipped when the arguments name tests of the main suite only
if [ "${SA_BROWSER_TESTS:-auto}" = yes ] || { [ "${SA_BROWSER_TESTS:-auto}" = auto ] && [ $# -eq 0 ]; }; then
  "$VENV/bin/python" -m pytest tests/browser --confcutdir=tests/browser -p no:cacheprovider -q -s
  browser=$?
  [ $status -eq 0 ] && status=$browser
fi
set -e
[ $status -eq 5 ] && { echo "!! pytest collected no tests" >&2; status=1; }
exit $status
