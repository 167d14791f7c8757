package dev.spoke.bench;

import dev.spoke.host.Plugin;
import dev.spoke.host.PluginSpec;
import dev.spoke.host.SpokeHost;
import dev.spoke.shm.IdleStrategy;

/**
 * Spoke's side of the RPC benchmarks: this JVM is the host; it launches one {@link BenchPlugin} through
 * {@link SpokeHost} (a separate process, the real runtimes) and runs the {@link Scenarios} against it.
 *
 * <p>Arguments: {@code --idle=BALANCED|BUSY_SPIN|LOW_CPU}, {@code --executor=direct|pool}, and those of
 * {@link Scenarios#run}. The series is named {@code spoke.<executor>.<idle>}. With {@code direct} the
 * plugin runs Echo inline on its receive thread and the host runs async callbacks inline on its own;
 * with {@code pool} both use their worker pools, as an application gets by default.
 */
public final class SpokeSuite {

  private SpokeSuite() {}

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    IdleStrategy idle = IdleStrategy.valueOf(args.get("idle"));
    String executor = args.get("executor");
    boolean direct = executor.equals("direct");
    String series = "spoke." + executor + "." + idle;
    try (SpokeHost host = SpokeHost.builder().idleStrategy(idle).build()) {
      Plugin plugin = host.launch(PluginSpec.java("bench-" + executor, BenchPlugin.class)
          .jvmArgs(Jvm.MEASURED.toArray(new String[0]))
          .args(executor)
          .build());
      Scenarios.run(series, EchoClient.spoke(plugin.channel(), direct), args);
      String pool = host.snapshot().poolFullyFree() ? "" : "; slots still in use: " + host.snapshot();
      System.out.println(series + ": done" + pool);
    }
    System.exit(0);
  }
}
