package dev.spoke.bench;

import dev.spoke.CallOptions;
import dev.spoke.Channel;
import dev.spoke.DirectExecutor;
import dev.spoke.ZeroCopy;
import dev.spoke.bench.proto.EchoGrpc;
import dev.spoke.bench.proto.EchoSpoke;
import dev.spoke.bench.proto.Payload;
import dev.spoke.stub.BlockingResponseStream;
import dev.spoke.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * The calls a benchmark makes, over either framework, so that one measurement loop ({@link Measure})
 * serves both and neither gets a loop of its own.
 *
 * <p>Implementations are thread-safe, as the stubs they wrap.
 */
interface EchoClient {

  /** One blocking unary call. */
  Payload unary(Payload request);

  /**
   * One blocking unary call of raw bytes received in place (zero-copy); returns the response's size
   * after releasing it. Spoke only.
   */
  default int rawUnary(ByteBuffer request) {
    throw new UnsupportedOperationException("zero-copy receive is Spoke's");
  }

  /** One asynchronous unary call; {@code done} gets null on success or the failure. */
  void unaryAsync(Payload request, Consumer<Throwable> done);

  /** One server-streaming call, read to its end on this thread; returns the number of messages. */
  long serverStream(Payload request);

  /** Spoke's generated stubs over a channel to a plugin. */
  static EchoClient spoke(Channel channel, boolean directCallbacks) {
    EchoSpoke.EchoBlockingStub blocking = EchoSpoke.newBlockingStub(channel);
    EchoSpoke.EchoStub async = directCallbacks
        ? EchoSpoke.newStub(channel).withCallOptions(CallOptions.DEFAULT.withExecutor(DirectExecutor.INSTANCE))
        : EchoSpoke.newStub(channel);
    return new EchoClient() {
      @Override
      public Payload unary(Payload request) {
        return blocking.unary(request);
      }

      @Override
      public int rawUnary(ByteBuffer request) {
        ByteBuffer response = ClientCalls.blockingUnaryCall(channel, EchoServices.RAW_UNARY, CallOptions.DEFAULT, request);
        int n = response.remaining();
        ZeroCopy.release(response);
        return n;
      }

      @Override
      public void unaryAsync(Payload request, Consumer<Throwable> done) {
        async.unary(request).whenComplete((response, failure) -> done.accept(failure));
      }

      @Override
      public long serverStream(Payload request) {
        long n = 0;
        try (BlockingResponseStream<Payload> stream = blocking.serverStream(request)) {
          while (stream.hasNext()) {
            stream.next();
            n++;
          }
        }
        return n;
      }
    };
  }

  /** gRPC-java's generated stubs over a channel to the gRPC server. */
  static EchoClient grpc(io.grpc.Channel channel) {
    EchoGrpc.EchoBlockingStub blocking = EchoGrpc.newBlockingStub(channel);
    EchoGrpc.EchoStub async = EchoGrpc.newStub(channel);
    return new EchoClient() {
      @Override
      public Payload unary(Payload request) {
        return blocking.unary(request);
      }

      @Override
      public void unaryAsync(Payload request, Consumer<Throwable> done) {
        async.unary(request, new StreamObserver<>() {
          @Override
          public void onNext(Payload value) {}

          @Override
          public void onError(Throwable t) {
            done.accept(t);
          }

          @Override
          public void onCompleted() {
            done.accept(null);
          }
        });
      }

      @Override
      public long serverStream(Payload request) {
        long n = 0;
        Iterator<Payload> it = blocking.serverStream(request);
        while (it.hasNext()) {
          it.next();
          n++;
        }
        return n;
      }
    };
  }
}
