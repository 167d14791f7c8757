#!/bin/sh
# Takes three seconds; each line arrives at the host as soon as it is printed.
for n in 3 2 1; do
  echo "$n..."
  sleep 1
done
echo "lift-off"
