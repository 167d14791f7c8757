package dev.spoke.host;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import dev.spoke.BindableService;
import dev.spoke.CallContext;
import dev.spoke.CallOptions;
import dev.spoke.DirectExecutor;
import dev.spoke.MethodDescriptor;
import dev.spoke.ServerServiceDefinition;
import dev.spoke.Status;
import dev.spoke.ZeroCopy;
import dev.spoke.it.Ack;
import dev.spoke.it.ChainReply;
import dev.spoke.it.ChainRequest;
import dev.spoke.it.EchoSpoke;
import dev.spoke.it.Event;
import dev.spoke.it.HostCallbacksSpoke;
import dev.spoke.it.Payload;
import dev.spoke.it.Summary;
import dev.spoke.peer.SpokePeer;
import dev.spoke.protobuf.StatusProto;
import dev.spoke.testing.EchoMetadataInterceptor;
import dev.spoke.stub.ClientCalls;
import dev.spoke.stub.ServerCalls;
import dev.spoke.stub.StreamObserver;
import java.nio.ByteBuffer;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

/**
 * The plugin the host tests launch. Its first argument after Spoke's picks a misbehaviour for launch
 * tests: {@code exit-at-once}, {@code never-ready}; it also exits at once if the file named by the
 * environment variable {@code ECHO_REFUSE_IF_EXISTS} exists (to fail a restart). Otherwise it serves Echo — on its receive thread
 * with {@code direct} (so a hanging handler stops it reading altogether). With {@code api} it installs
 * the interceptors of {@link ApiFixtures} on its services and its host channel, and gRPC's interop
 * metadata echo.
 */
public final class EchoPlugin {

  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[args.length - 1].equals("exit-at-once")) {
      System.err.println("echo plugin: refusing to start, as the test asked");
      System.exit(7);
    }
    String refuseIf = System.getenv("ECHO_REFUSE_IF_EXISTS");
    if (refuseIf != null && java.nio.file.Files.exists(java.nio.file.Path.of(refuseIf))) {
      System.err.println("echo plugin: refusing to start, " + refuseIf + " exists");
      System.exit(7);
    }
    SpokePeer peer = SpokePeer.attach(args);
    String hangIf = System.getenv("ECHO_HANG_IF_EXISTS");
    if (hangIf != null && java.nio.file.Files.exists(java.nio.file.Path.of(hangIf))) {
      System.err.println("echo plugin: attached, and never saying READY while " + hangIf + " exists");
      Thread.sleep(Long.MAX_VALUE);
    }
    if (peer.arguments().contains("never-ready")) {
      System.err.println("echo plugin: attached, and never saying READY");
      Thread.sleep(Long.MAX_VALUE);
    }
    if (peer.arguments().contains("api")) {
      peer.intercept(new EchoMetadataInterceptor(), ApiFixtures.pluginServer(), ApiFixtures.TRACE.serverInterceptor());
      peer.interceptHostChannel(ApiFixtures.pluginClient(peer.name()), ApiFixtures.TRACE.clientInterceptor());
    }
    if (peer.arguments().contains("direct")) {
      peer.addService(new Echo(peer), DirectExecutor.INSTANCE);
    } else {
      peer.addService(new Echo(peer));
    }
    peer.addService((BindableService) () -> rawEcho(peer));
    peer.serve();
  }

  /** Raw bytes received in place (zero-copy): the request back. */
  static final MethodDescriptor<ByteBuffer, ByteBuffer> RAW_ECHO = MethodDescriptor
      .<ByteBuffer, ByteBuffer>newBuilder(ZeroCopy.byteBuffers(), ZeroCopy.byteBuffers())
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName(MethodDescriptor.generateFullMethodName("spoke.it.RawEcho", "Unary"))
      .build();

  /** Raw bytes, received in place: the host's raw echo called with the request, and its answer back. */
  static final MethodDescriptor<ByteBuffer, ByteBuffer> RAW_RELAY = MethodDescriptor
      .<ByteBuffer, ByteBuffer>newBuilder(ZeroCopy.byteBuffers(), ZeroCopy.byteBuffers())
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName(MethodDescriptor.generateFullMethodName("spoke.it.RawEcho", "Relay"))
      .build();

  /** The raw echo a host serves for {@link #RAW_RELAY} (the host test binds it). */
  static final MethodDescriptor<ByteBuffer, ByteBuffer> HOST_RAW_ECHO = MethodDescriptor
      .<ByteBuffer, ByteBuffer>newBuilder(ZeroCopy.byteBuffers(), ZeroCopy.byteBuffers())
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName(MethodDescriptor.generateFullMethodName("spoke.it.HostRawEcho", "Unary"))
      .build();

  static ServerServiceDefinition rawEcho(SpokePeer peer) {
    return ServerServiceDefinition.builder("spoke.it.RawEcho")
        .addMethod(RAW_ECHO, ServerCalls.<ByteBuffer, ByteBuffer>asyncUnaryCall((request, response) -> {
          response.onNext(request);
          response.onCompleted();
        }))
        .addMethod(RAW_RELAY, ServerCalls.<ByteBuffer, ByteBuffer>asyncUnaryCall((request, response) -> {
          ByteBuffer back = ClientCalls.blockingUnaryCall(
              peer.hostChannel(), HOST_RAW_ECHO, CallOptions.DEFAULT, request);
          response.onNext(back); // written from the host's slot, which this plugin holds until the release below
          response.onCompleted();
          ZeroCopy.release(back);
        }))
        .build();
  }

  /** Requests {@link #hostRawEcho} received as a view of their slot (it runs in the host's JVM). */
  static final java.util.concurrent.atomic.AtomicInteger HOST_REQUESTS_IN_PLACE = new java.util.concurrent.atomic.AtomicInteger();

  /** The host's side of {@link #RAW_RELAY}: the request back, written from its own slot. */
  static ServerServiceDefinition hostRawEcho() {
    return ServerServiceDefinition.builder("spoke.it.HostRawEcho")
        .addMethod(HOST_RAW_ECHO, ServerCalls.<ByteBuffer, ByteBuffer>asyncUnaryCall((request, response) -> {
          if (ZeroCopy.isHeld(request) && request.isDirect()) {
            HOST_REQUESTS_IN_PLACE.incrementAndGet();
          }
          response.onNext(request);
          response.onCompleted();
        }))
        .build();
  }

  static long crc(ByteString data) {
    CRC32 crc = new CRC32();
    crc.update(data.asReadOnlyByteBuffer());
    return crc.getValue();
  }

  static Payload payload(long id, ByteString data) {
    return Payload.newBuilder().setId(id).setData(data).setChecksum(crc(data)).build();
  }

  static void check(Payload p) {
    if (crc(p.getData()) != p.getChecksum()) {
      throw Status.DATA_LOSS.withDescription("payload " + p.getId() + " arrived damaged").asRuntimeException();
    }
  }

  static void sleep(int millis) {
    if (millis > 0) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  static final class Echo extends EchoSpoke.EchoImplBase {
    private final SpokePeer peer;
    private final HostCallbacksSpoke.HostCallbacksBlockingStub host;

    Echo(SpokePeer peer) {
      this.peer = peer;
      this.host = HostCallbacksSpoke.newBlockingStub(peer.hostChannel());
    }

    @Override
    public void unary(Payload request, StreamObserver<Payload> response) {
      check(request);
      if (!request.getFailRich().isEmpty()) {
        throw StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
            .setCode(Status.Code.FAILED_PRECONDITION.value())
            .setMessage("rich failure of " + peer.name())
            .addDetails(Any.pack(ErrorInfo.newBuilder().setReason(request.getFailRich()).setDomain(peer.name()).build()))
            .build());
      }
      sleep(request.getSleepMillis());
      response.onNext(request);
      response.onCompleted();
    }

    @Override
    public void serverStream(Payload request, StreamObserver<Payload> response) {
      check(request);
      for (int i = 0; i < request.getRepeat(); i++) {
        response.onNext(request.toBuilder().setId(request.getId() + i).build());
      }
      response.onCompleted();
    }

    @Override
    public StreamObserver<Payload> clientStream(StreamObserver<Summary> response) {
      return new StreamObserver<>() {
        long count;
        long sum;
        long bytes;

        @Override
        public void onNext(Payload value) {
          check(value);
          count++;
          sum += value.getChecksum();
          bytes += value.getData().size();
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          response.onNext(Summary.newBuilder().setCount(count).setChecksumSum(sum).setBytes(bytes).build());
          response.onCompleted();
        }
      };
    }

    @Override
    public StreamObserver<Payload> bidi(StreamObserver<Payload> response) {
      return new StreamObserver<>() {
        @Override
        public void onNext(Payload value) {
          check(value);
          response.onNext(value);
        }

        @Override
        public void onError(Throwable t) {}

        @Override
        public void onCompleted() {
          response.onCompleted();
        }
      };
    }

    @Override
    public void hang(Payload request, StreamObserver<Payload> response) {
      CallContext ctx = CallContext.current();
      CountDownLatch cancelled = new CountDownLatch(1);
      ctx.addCancellationListener(cancelled::countDown, DirectExecutor.INSTANCE);
      // Reported without waiting: a handler bound to a direct executor then holds the plugin's receive
      // thread in a wait of its own (not one of Spoke's calls), and the plugin reads nothing more.
      CallContext.runDetached(() -> HostCallbacksSpoke.newStub(peer.hostChannel())
          .report(Event.newBuilder().setPlugin(peer.name()).setKind("hanging").setDetail(String.valueOf(request.getId())).build()));
      try {
        if (cancelled.await(60, TimeUnit.SECONDS)) {
          // Reported on a call of its own: one started in the cancelled call's context would be
          // cancelled with it.
          CallContext.runDetached(() -> HostCallbacksSpoke.newBlockingStub(peer.hostChannel())
              .withCallOptions(CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS))
              .report(Event.newBuilder().setPlugin(peer.name()).setKind("cancelled")
                  .setDetail(ctx.getCancellationStatus().getCode() + " " + request.getId()).build()));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void chain(ChainRequest request, StreamObserver<ChainReply> response) {
      String trace = ApiFixtures.TRACE_ID.get();
      ChainRequest here = request.toBuilder().addPath(peer.name() + (trace != null ? "#" + trace : "")).build();
      if (here.getDepth() <= 0) {
        response.onNext(ChainReply.newBuilder().addAllPath(here.getPathList()).build());
      } else {
        response.onNext(host.relay(here.toBuilder().setDepth(here.getDepth() - 1).build()));
      }
      response.onCompleted();
    }

    @Override
    public void flood(Payload request, StreamObserver<Summary> response) {
      HostCallbacksSpoke.HostCallbacksStub async = HostCallbacksSpoke.newStub(peer.hostChannel())
          .withDeadlineAfter(100, TimeUnit.SECONDS);
      int n = request.getRepeat();
      java.util.concurrent.atomic.AtomicLong ok = new java.util.concurrent.atomic.AtomicLong();
      java.util.concurrent.atomic.AtomicLong refused = new java.util.concurrent.atomic.AtomicLong();
      java.util.concurrent.atomic.AtomicLong failed = new java.util.concurrent.atomic.AtomicLong();
      CountDownLatch all = new CountDownLatch(n);
      for (int i = 0; i < n; i++) {
        Payload p = payload(i, request.getData());
        async.reverse(p).whenComplete((r, t) -> {
          if (t == null && r.getData().size() == p.getData().size()) {
            ok.incrementAndGet();
          } else if (t instanceof dev.spoke.StatusRuntimeException
              && ((dev.spoke.StatusRuntimeException) t).getStatus().getCode() == dev.spoke.Status.Code.RESOURCE_EXHAUSTED) {
            refused.incrementAndGet();
          } else {
            failed.incrementAndGet();
            System.err.println("flood call failed: " + t);
          }
          all.countDown();
        });
      }
      try {
        all.await(110, TimeUnit.SECONDS); // within the host's 120 s deadline for the whole flood
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      response.onNext(Summary.newBuilder().setCount(ok.get()).setRefused(refused.get()).setChecksumSum(failed.get()).build());
      response.onCompleted();
    }

    @Override
    public void whoami(Payload request, StreamObserver<Payload> response) {
      Payload reversed = host.reverse(payload(request.getId(), ByteString.copyFromUtf8(peer.name())));
      response.onNext(Payload.newBuilder().setId(ProcessHandle.current().pid())
          .setData(ByteString.copyFromUtf8(peer.name()))
          .setChecksum(reversed.getData().equals(ByteString.copyFromUtf8(new StringBuilder(peer.name()).reverse().toString())) ? 1 : 0)
          .build());
      response.onCompleted();
    }
  }

  static Ack ack() {
    return Ack.getDefaultInstance();
  }
}
