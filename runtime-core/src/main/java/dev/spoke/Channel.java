package dev.spoke;

/**
 * Starts calls to the services on the other side of a connection. Generated stubs wrap a channel; the
 * host gets one per plugin, and a plugin gets one to the host.
 *
 * <p>Thread-safe: any number of threads may start calls at once.
 */
public abstract class Channel {

  /**
   * Creates a call of {@code method}. Nothing is sent until {@link ClientCall#start}.
   *
   * @param options the deadline, executor and headers of this call
   */
  public abstract <ReqT, RespT> ClientCall<ReqT, RespT> newCall(
      MethodDescriptor<ReqT, RespT> method, CallOptions options);

  /** Who calls go to, for messages: for example {@code plugin 'minifier' (pid 4242)}. */
  public abstract String authority();
}
