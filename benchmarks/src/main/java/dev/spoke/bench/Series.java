package dev.spoke.bench;

import java.util.List;

/**
 * The configurations measured side by side, each run by a suite JVM of its own. The order is the order
 * of the run: Spoke and gRPC alternate, so that a machine that gets busier or quieter during the run
 * does not favour one framework.
 */
enum Series {
  SPOKE_DIRECT("spoke.direct.BALANCED", "Spoke direct", SpokeSuite.class, "--executor=direct", "--idle=BALANCED"),
  GRPC_UDS_DIRECT("grpc.uds.direct", "gRPC UDS direct", GrpcSuite.class, "--transport=uds", "--executor=direct"),
  SPOKE_DIRECT_SPIN("spoke.direct.BUSY_SPIN", "Spoke direct, busy-spin", SpokeSuite.class, "--executor=direct", "--idle=BUSY_SPIN"),
  GRPC_UDS("grpc.uds.default", "gRPC UDS", GrpcSuite.class, "--transport=uds", "--executor=default"),
  SPOKE_POOL("spoke.pool.BALANCED", "Spoke pool", SpokeSuite.class, "--executor=pool", "--idle=BALANCED"),
  GRPC_TCP_DIRECT("grpc.tcp.direct", "gRPC TCP direct", GrpcSuite.class, "--transport=tcp", "--executor=direct"),
  GRPC_TCP("grpc.tcp.default", "gRPC TCP", GrpcSuite.class, "--transport=tcp", "--executor=default");

  /** The Spoke configuration the targets are judged on: the default idle strategy, a direct-executor service. */
  static final Series HEADLINE = SPOKE_DIRECT;

  /** Column order of the tables: Spoke's, then gRPC's. */
  static final List<Series> COLUMNS = List.of(SPOKE_DIRECT, SPOKE_DIRECT_SPIN, SPOKE_POOL, GRPC_UDS_DIRECT, GRPC_UDS,
      GRPC_TCP_DIRECT, GRPC_TCP);

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

  boolean isGrpc() {
    return suite == GrpcSuite.class;
  }

  boolean isUds() {
    return key.startsWith("grpc.uds.");
  }
}
