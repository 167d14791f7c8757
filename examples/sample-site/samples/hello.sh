#!/bin/sh
# The smallest sample: two lines.
echo "Hello from a code sample."
echo "It ran in a subprocess of the code-runner plugin, and its output came back through the hub."
