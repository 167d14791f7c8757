package dev.spoke.bench;

import dev.spoke.bench.proto.EchoGrpc;
import dev.spoke.bench.proto.EchoSpoke;
import dev.spoke.bench.proto.Payload;

/**
 * The Echo service, once per framework. Both do the least a handler can: the unary call answers with
 * the request object itself, the stream sends it {@code repeat} times, so what is measured is the
 * framework, not the handler.
 */
final class EchoServices {

  private EchoServices() {}

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
