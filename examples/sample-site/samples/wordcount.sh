#!/bin/sh
# A pipeline of four processes: the five most frequent words of a sentence.
echo "the hub carries the call and the hub carries the reply and the plugin answers the call" \
  | tr ' ' '\n' \
  | sort \
  | uniq -c \
  | sort -k1,1nr -k2,2 \
  | head -n 5
