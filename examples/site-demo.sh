#!/bin/sh
# Spoke's site-build demo, in one command: builds what it needs, then builds the sample site with
# three plugin processes and prints a summary.
#
#   examples/site-demo.sh [--in DIR] [--out DIR] [--kill minifier|images|code-runner]
#                         [--remote minifier|images|code-runner]... [--help]
#
# Why a script and not "mvn exec:java" (which works too): run straight from here, the demo has the
# terminal to itself, for the progress line and for Ctrl-C, and starts without Maven's own start-up.
set -eu

examples=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$examples")

# --help answers at once, without a build. The text is DemoOptions.USAGE's (SiteDemoScriptTest checks).
for arg in "$@"; do
  case "$arg" in
    -h|--help)
      cat <<'USAGE'
usage: site-demo [--in DIR] [--out DIR] [--kill PLUGIN] [--remote PLUGIN]...

Builds a static site with three plugin processes: a minifier, an image processor and a code
runner, all talking to this host through one shared-memory hub.

  --in DIR       the site to build; default: the bundled sample site (examples/sample-site)
  --out DIR      where the built site goes; default: examples/target/site. Emptied first if an
                 earlier build made it; any other folder that is not empty is refused
  --kill PLUGIN  kill that plugin (minifier, images, code-runner) with SIGKILL part-way
                 through, to see it restarted and its calls retried; the site is still complete
  --remote PLUGIN
                 run that plugin as a separate process serving gRPC on loopback, as a plugin on
                 another machine would: the host connects to it by address, the build is the
                 same, and the summary shows its calls beside the hub's (may be repeated)
  --help         this text
USAGE
      exit 0
      ;;
  esac
done

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
