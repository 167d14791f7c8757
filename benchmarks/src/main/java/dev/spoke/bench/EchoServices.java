package dev.spoke.bench;

import dev.spoke.MethodDescriptor;
import dev.spoke.ServerServiceDefinition;
import dev.spoke.ZeroCopy;
import dev.spoke.bench.proto.EchoGrpc;
import dev.spoke.bench.proto.EchoSpoke;
import dev.spoke.bench.proto.Payload;
import dev.spoke.stub.ServerCalls;
import java.nio.ByteBuffer;

/**
 * The Echo service, once per framework. Both do the least a handler can: the unary call answers with
 * the request object itself, the stream sends it {@code repeat} times, so what is measured is the
 * framework, not the handler.
 */
final class EchoServices {

  private EchoServices() {}

  /**
   * Echo of raw bytes received in place ({@link ZeroCopy#byteBuffers()}): the zero-copy receive path.
   * The response is written from the request's own slot, which its call holds until it ends.
   */
  static final MethodDescriptor<ByteBuffer, ByteBuffer> RAW_UNARY = MethodDescriptor
      .<ByteBuffer, ByteBuffer>newBuilder(ZeroCopy.byteBuffers(), ZeroCopy.byteBuffers())
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName(MethodDescriptor.generateFullMethodName("spoke.bench.RawEcho", "Unary"))
      .build();

  /** The raw echo, bound for a Spoke server. */
  static ServerServiceDefinition rawEcho() {
    return ServerServiceDefinition.builder("spoke.bench.RawEcho")
        .addMethod(RAW_UNARY, ServerCalls.<ByteBuffer, ByteBuffer>asyncUnaryCall((request, response) -> {
          response.onNext(request);
          response.onCompleted();
        }))
        .build();
  }

  /** Echo for Spoke. Stateless and thread-safe. */
  static final class Spoke extends EchoSpoke.EchoImplBase {
    @Override
    public void unary(Payload request, dev.spoke.stub.StreamObserver<Payload> response) {
      response.onNext(request);
      response.onCompleted();
    }

    @Override
    public void serverStream(Payload request, dev.spoke.stub.StreamObserver<Payload> response) {
      for (int i = 0; i < request.getRepeat(); i++) {
        response.onNext(request);
      }
      response.onCompleted();
    }
  }

  /** Echo for gRPC-java. Stateless and thread-safe. */
  static final class Grpc extends EchoGrpc.EchoImplBase {
    @Override
    public void unary(Payload request, io.grpc.stub.StreamObserver<Payload> response) {
      response.onNext(request);
      response.onCompleted();
    }

    @Override
    public void serverStream(Payload request, io.grpc.stub.StreamObserver<Payload> response) {
      for (int i = 0; i < request.getRepeat(); i++) {
        response.onNext(request);
      }
      response.onCompleted();
    }
  }
}
