package dev.spoke.bench;

import java.util.List;

/**
 * The configurations measured side by side, each run by a suite JVM of its own. The order is the order
 * of the run: Spoke and gRPC alternate, so that a machine that gets busier or quieter during the run
 * does not favour one framework. "Spoke over gRPC" (the bridge, spoke-grpc) runs right after gRPC-java on
 * the same transport and executors, so that the two differ by the bridge alone.
 */
enum Series {
  SPOKE_DIRECT("spoke.direct.BALANCED", "Spoke direct", SpokeSuite.class, "--executor=direct", "--idle=BALANCED"),
  GRPC_UDS_DIRECT("grpc.uds.direct", "gRPC UDS direct", GrpcSuite.class, "--transport=uds", "--executor=direct"),
  SPOKE_DIRECT_SPIN("spoke.direct.BUSY_SPIN", "Spoke direct, busy-spin", SpokeSuite.class, "--executor=direct", "--idle=BUSY_SPIN"),
  GRPC_UDS("grpc.uds.default", "gRPC UDS", GrpcSuite.class, "--transport=uds", "--executor=default"),
  SPOKE_POOL("spoke.pool.BALANCED", "Spoke default", SpokeSuite.class, "--executor=pool", "--idle=BALANCED"),
  GRPC_TCP_DIRECT("grpc.tcp.direct", "gRPC TCP direct", GrpcSuite.class, "--transport=tcp", "--executor=direct"),
  BRIDGE_TCP_DIRECT("bridge.tcp.direct", "Spoke over gRPC TCP direct", GrpcSuite.class, "--transport=tcp",
      "--executor=direct", "--bridge=true"),
  GRPC_TCP("grpc.tcp.default", "gRPC TCP", GrpcSuite.class, "--transport=tcp", "--executor=default"),
  BRIDGE_TCP("bridge.tcp.default", "Spoke over gRPC TCP", GrpcSuite.class, "--transport=tcp", "--executor=default",
      "--bridge=true");

  /** The Spoke configuration the targets are judged on: the default idle strategy, a direct-executor service. */
  static final Series HEADLINE = SPOKE_DIRECT;

  /** Column order of the tables: Spoke's, then gRPC's. */
  static final List<Series> COLUMNS = List.of(SPOKE_DIRECT, SPOKE_DIRECT_SPIN, SPOKE_POOL, GRPC_UDS_DIRECT, GRPC_UDS,
      GRPC_TCP_DIRECT, BRIDGE_TCP_DIRECT, GRPC_TCP, BRIDGE_TCP);

  final String key;
  final String label;
  final Class<?> suite;
  final List<String> args;

  Series(String key, String label, Class<?> suite, String... args) {
    this.key = key;
    this.label = label;
    this.suite = suite;
    this.args = List.of(args);
  }

  /** gRPC-java's own stubs and service. */
  boolean isGrpc() {
    return suite == GrpcSuite.class && !isBridge();
  }

  /** Spoke's stubs and service through gRPC-java (spoke-grpc). */
  boolean isBridge() {
    return args.contains("--bridge=true");
  }

  /** The gRPC-java series a bridge series is compared with: the same transport and executors. */
  Series grpcTwin() {
    return this == BRIDGE_TCP_DIRECT ? GRPC_TCP_DIRECT : this == BRIDGE_TCP ? GRPC_TCP : null;
  }

  boolean isUds() {
    return key.startsWith("grpc.uds.");
  }
}
