#!/bin/sh
# timeout: 2s
# Never ends on its own. The runner kills it when its two seconds are up, and the helper it
# started with it.
sleep 300 &
echo "started a helper, process $!"
n=0
while true; do
  n=$((n + 1))
  echo "tick $n"
  sleep 1
done
