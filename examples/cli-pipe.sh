#!/bin/sh
# The cloudwatch-shipper command in a pipe: every line a program writes becomes an event. Here the
# program is a stand-in that writes JSON lines; --json takes each event's time from their "time".
#
#   sh examples/cli-pipe.sh
#
# Credentials and region come from the AWS SDK's usual sources; CWL_ENDPOINT, if set, points the
# command at another endpoint (the tests use a local one).
set -eu

node -e '
  for (let i = 0; i < 1000; i++) {
    console.log(JSON.stringify({ time: Date.now(), level: "info", msg: "tick " + i }));
  }
' | npx --no-install cloudwatch-shipper \
  --log-group-name /examples/cli \
  --log-stream-name "$(hostname)" \
  --create-log-group \
  --json \
  ${CWL_ENDPOINT:+--endpoint "$CWL_ENDPOINT"}
