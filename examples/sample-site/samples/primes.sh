#!/bin/sh
# The primes below 200, with nothing but shell arithmetic.
n=2
line=""
while [ "$n" -lt 200 ]; do
  d=2
  prime=1
  while [ $((d * d)) -le "$n" ]; do
    if [ $((n % d)) -eq 0 ]; then
      prime=0
      break
    fi
    d=$((d + 1))
  done
  if [ "$prime" -eq 1 ]; then
    line="$line $n"
  fi
  n=$((n + 1))
done
echo "primes below 200:$line"
