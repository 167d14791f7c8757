package dev.spoke;

import java.util.Objects;

/**
 * A method together with the handler that serves it. Immutable.
 *
 * @param <ReqT> the request message type
 * @param <RespT> the response message type
 */
public final class ServerMethodDefinition<ReqT, RespT> {
  private final MethodDescriptor<ReqT, RespT> method;
  private final ServerCallHandler<ReqT, RespT> handler;

  private ServerMethodDefinition(MethodDescriptor<ReqT, RespT> method, ServerCallHandler<ReqT, RespT> handler) {
    this.method = Objects.requireNonNull(method, "method");
    this.handler = Objects.requireNonNull(handler, "handler");
  }

  /** A method served by {@code handler}. */
  public static <ReqT, RespT> ServerMethodDefinition<ReqT, RespT> create(
      MethodDescriptor<ReqT, RespT> method, ServerCallHandler<ReqT, RespT> handler) {
    return new ServerMethodDefinition<>(method, handler);
  }

  /** The method served. */
  public MethodDescriptor<ReqT, RespT> getMethodDescriptor() {
    return method;
  }

  /** What starts each call of the method. */
  public ServerCallHandler<ReqT, RespT> getServerCallHandler() {
    return handler;
  }
}
