#!/bin/sh
# FizzBuzz to 30, three numbers a line.
i=1
out=""
while [ "$i" -le 30 ]; do
  if [ $((i % 15)) -eq 0 ]; then w="FizzBuzz"
  elif [ $((i % 3)) -eq 0 ]; then w="Fizz"
  elif [ $((i % 5)) -eq 0 ]; then w="Buzz"
  else w="$i"
  fi
  out="$out $w"
  if [ $((i % 3)) -eq 0 ]; then
    echo "${out# }"
    out=""
  fi
  i=$((i + 1))
done
