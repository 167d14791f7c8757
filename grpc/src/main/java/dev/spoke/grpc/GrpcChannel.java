package dev.spoke.grpc;

import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.ClientCall;
import dev.spoke.MethodDescriptor;
import dev.spoke.grpc.internal.BridgedClientCall;
import dev.spoke.grpc.internal.GrpcMethods;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Spoke {@link Channel} over a gRPC-java channel: Spoke-generated stubs (blocking, async, streams)
 * call any gRPC server with it, whether its services are Spoke's (see {@link GrpcServices}) or written
 * for gRPC-java or in another language. The wire is standard gRPC: the same full method names and the
 * same protobuf bytes a gRPC stub would send.
 *
 * <pre>{@code
 * ManagedChannel grpc = Grpc.newChannelBuilder("127.0.0.1:7443", InsecureChannelCredentials.create()).build();
 * GreeterSpoke.GreeterBlockingStub greeter = GreeterSpoke.newBlockingStub(GrpcChannel.of(grpc));
 * }</pre>
 *
 * <p>Per call, Spoke's call options become gRPC's: deadline, executor, wait-for-ready, headers; the
 * trailers listener hears the server's trailers. A call that gRPC cannot deliver fails with {@code
 * UNAVAILABLE}, its description naming where it went. The gRPC channel's life (shutdown, TLS, load
 * balancing, retries) stays the gRPC channel's; closing it is its owner's job.
 *
 * <p>Thread-safe.
 */
public final class GrpcChannel extends Channel {

  private final io.grpc.Channel channel;
  private final String name;
  /** Spoke's method descriptors are made once per rpc; their gRPC forms are made once per channel. */
  private final ConcurrentHashMap<MethodDescriptor<?, ?>, io.grpc.MethodDescriptor<?, ?>> methods =
      new ConcurrentHashMap<>();

  private GrpcChannel(io.grpc.Channel channel, String name) {
    this.channel = Objects.requireNonNull(channel, "channel");
    this.name = Objects.requireNonNull(name, "name");
  }

  /** A channel that calls through {@code channel}; messages name its authority. */
  public static GrpcChannel of(io.grpc.Channel channel) {
    return new GrpcChannel(channel, channel.authority());
  }

  /**
   * A channel that calls through {@code channel}; messages name it {@code name}, for example {@code
   * plugin 'images' at 10.0.0.7:7443}.
   */
  public static GrpcChannel of(io.grpc.Channel channel, String name) {
    return new GrpcChannel(channel, name);
  }

  /** The gRPC channel underneath. */
  public io.grpc.Channel grpcChannel() {
    return channel;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <ReqT, RespT> ClientCall<ReqT, RespT> newCall(MethodDescriptor<ReqT, RespT> method, CallOptions options) {
    io.grpc.MethodDescriptor<ReqT, RespT> grpcMethod = (io.grpc.MethodDescriptor<ReqT, RespT>) methods.get(method);
    if (grpcMethod == null) {
      grpcMethod = (io.grpc.MethodDescriptor<ReqT, RespT>) methods.computeIfAbsent(method, m -> GrpcMethods.toGrpc(method, null));
    }
    return new BridgedClientCall<>(channel, grpcMethod, method, options, name);
  }

  @Override
  public String authority() {
    return name;
  }

  @Override
  public String toString() {
    return "GrpcChannel{" + name + "}";
  }
}
