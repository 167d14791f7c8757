#!/bin/sh
# A multiplication table, formatted with printf.
for a in 1 2 3 4 5 6; do
  for b in 1 2 3 4 5 6; do
    printf '%4d' $((a * b))
  done
  printf '\n'
done
