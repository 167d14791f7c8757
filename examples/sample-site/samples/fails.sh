#!/bin/sh
# Writes to both streams and fails; the page shows all of it, and the exit status.
echo "looking for the configuration..."
echo "error: no configuration in $(pwd)/site.conf" >&2
exit 3
