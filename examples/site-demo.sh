#!/bin/sh
# Spoke's site-build demo, in one command: builds what it needs, then builds the sample site with
# three plugin processes and prints a summary.
#
#   examples/site-demo.sh [--in DIR] [--out DIR] [--kill minifier|images|code-runner]
#                         [--remote minifier|images|code-runner]... [--help]
#
# Why a script and not "mvn exec:...": the host launches its Java plugins on its own class path, so
# the demo needs a JVM of its own with the real one (not Maven's); and run straight from here it has
# the terminal to itself, for the progress line and for Ctrl-C.
set -eu

examples=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$examples")

echo "Building Spoke and the examples (tests skipped; the first time, Maven downloads what it needs) ..."
if ! (cd "$root" && ./mvnw -B -q -pl examples -am package -DskipTests -Dinvoker.skip=true); then
  echo "site-demo: the build failed; see above" >&2
  exit 1
fi

if [ -n "${JAVA_HOME:-}" ]; then
  java="$JAVA_HOME/bin/java"
else
  java=java
fi
classpath="$examples/target/classes:$(cat "$examples/target/demo.classpath")"
exec "$java" -Dspoke.examples.home="$examples" -cp "$classpath" dev.spoke.examples.site.SiteDemo "$@"
