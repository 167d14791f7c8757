package dev.spoke.grpc.lab;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.rpc.ErrorInfo;
import dev.spoke.CallContext;
import dev.spoke.Channel;
import dev.spoke.Metadata;
import dev.spoke.Status;
import dev.spoke.protobuf.StatusProto;
import dev.spoke.stub.ServerCallStreamObserver;
import dev.spoke.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Lab service, written once on Spoke's API; the tests serve it over the hub and over gRPC and
 * expect the same answers. See lab.proto for what each rpc does.
 *
 * <p>Thread-safe.
 */
public final class LabService extends LabSpoke.LabImplBase {

  private final Channel host;
  private final ConcurrentHashMap<String, CompletableFuture<Status>> cancellations = new ConcurrentHashMap<>();

  /** @param host the channel to the host's Probe service, for AskHost */
  public LabService(Channel host) {
    this.host = host;
  }

  @Override
  public void echo(LabRequest request, StreamObserver<LabReply> response) {
    if (!request.getThrowMessage().isEmpty()) {
      throw new IllegalStateException(request.getThrowMessage());
    }
    if (request.getFailCode() != 0 && request.getRichError()) {
      throw StatusProto.toStatusRuntimeException(richError(request.getFailCode(), request.getText()));
    }
    if (request.getFailCode() != 0) {
      throw Status.fromCodeValue(request.getFailCode()).withDescription(request.getText())
          .asRuntimeException(Metadata.of("x-lab-detail", "failed on purpose"));
    }
    CallContext context = CallContext.current();
    context.getTrailers().put("x-lab-trailer", "echoed " + request.getText());
    ByteString data = request.getReplySize() > 0 ? ByteString.copyFrom(new byte[request.getReplySize()]) : request.getData();
    response.onNext(seen(context).setText(request.getText()).setData(data).build());
    response.onCompleted();
  }

  @Override
  public void count(LabRequest request, StreamObserver<LabReply> response) {
    ServerCallStreamObserver<LabReply> out = (ServerCallStreamObserver<LabReply>) response;
    out.setOnCancelHandler(() -> {});
    ByteString data = ByteString.copyFrom(new byte[request.getReplySize()]);
    int count = request.getCount();
    if (!request.getHonourReady()) {
      for (int i = 0; i < count; i++) {
        out.onNext(LabReply.newBuilder().setIndex(i).setData(data).build());
      }
      out.onCompleted();
      return;
    }
    Runnable drain = new Runnable() {
      private int next;
      private int notReady;
      private boolean done;

      @Override
      public synchronized void run() {
        while (next < count) {
          if (!out.isReady()) {
            notReady++;
            return; // onReady calls again
          }
          int i = next++;
          out.onNext(LabReply.newBuilder().setIndex(i).setData(data).setNotReadySeen(i == count - 1 ? notReady : 0).build());
        }
        if (!done) {
          done = true;
          out.onCompleted();
        }
      }
    };
    out.setOnReadyHandler(drain);
    drain.run();
  }

  @Override
  public StreamObserver<LabRequest> sum(StreamObserver<LabReply> response) {
    return new StreamObserver<>() {
      private long total;

      @Override
      public void onNext(LabRequest value) {
        total += value.getNumber();
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        response.onNext(LabReply.newBuilder().setTotal(total).build());
        response.onCompleted();
      }
    };
  }

  @Override
  public StreamObserver<LabRequest> chat(StreamObserver<LabReply> response) {
    return new StreamObserver<>() {
      private int index;

      @Override
      public void onNext(LabRequest value) {
        if (value.getFailCode() != 0) {
          response.onError(Status.fromCodeValue(value.getFailCode()).withDescription(value.getText()).asRuntimeException());
          return;
        }
        response.onNext(LabReply.newBuilder().setText(value.getText()).setIndex(index++).build());
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
  public void hang(LabRequest request, StreamObserver<LabReply> response) {
    ServerCallStreamObserver<LabReply> out = (ServerCallStreamObserver<LabReply>) response;
    CallContext context = CallContext.current();
    out.setOnCancelHandler(() -> cancellation(request.getText()).complete(context.getCancellationStatus()));
    out.onNext(LabReply.newBuilder().setText("hanging").build());
  }

  @Override
  public void lastCancellation(LabRequest request, StreamObserver<Cancellation> response) {
    try {
      response.onNext(awaitCancellation(request.getText()));
      response.onCompleted();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      response.onError(Status.CANCELLED.withDescription("interrupted").asRuntimeException());
    }
  }

  @Override
  public void askHost(LabRequest request, StreamObserver<LabReply> response) {
    response.onNext(ProbeSpoke.newBlockingStub(host).look(request));
    response.onCompleted();
  }

  private CompletableFuture<Status> cancellation(String id) {
    return cancellations.computeIfAbsent(id, k -> new CompletableFuture<>());
  }

  /**
   * The rich status Echo fails with when asked to: {@code code} and {@code message}, and an ErrorInfo
   * whose metadata holds the message, so that a test can tell one from another.
   */
  public static com.google.rpc.Status richError(int code, String message) {
    return com.google.rpc.Status.newBuilder().setCode(code).setMessage(message)
        .addDetails(Any.pack(ErrorInfo.newBuilder().setReason("LAB_REFUSED").setDomain("lab.spoke.dev")
            .putMetadata("message", message).build()))
        .build();
  }

  /** A reply builder holding what the server saw of the call: its deadline and headers. */
  static LabReply.Builder seen(CallContext context) {
    LabReply.Builder b = LabReply.newBuilder();
    b.setDeadlineMillis(context.getDeadline() == null ? -1 : context.getDeadline().timeRemaining(TimeUnit.MILLISECONDS));
    Metadata headers = context.getHeaders();
    for (String key : headers.keys()) {
      if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
        b.putBinaryHeaders(key, ByteString.copyFrom(headers.get(Metadata.Key.of(key, Metadata.BINARY_BYTE_MARSHALLER))));
      } else {
        b.putHeaders(key, headers.get(key));
      }
    }
    return b;
  }

  /** How the Hang call {@code id} was cancelled, waiting up to 10 s for it. */
  Cancellation awaitCancellation(String id) throws InterruptedException {
    try {
      Status s = cancellation(id).get(10, TimeUnit.SECONDS);
      return Cancellation.newBuilder().setSeen(true).setCode(s.getCode().value())
          .setDescription(s.getDescription() == null ? "" : s.getDescription()).build();
    } catch (TimeoutException e) {
      return Cancellation.getDefaultInstance();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }
}
