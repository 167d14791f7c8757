package dev.spoke.grpc.lab;

import dev.spoke.CallContext;
import dev.spoke.Status;
import dev.spoke.stub.ServerCallStreamObserver;
import dev.spoke.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The host's side of the Lab's callbacks: answers with what it saw of the call, or hangs until
 * cancelled and records how. Written once, served to plugins over the hub and over gRPC.
 *
 * <p>Thread-safe.
 */
public final class ProbeService extends ProbeSpoke.ProbeImplBase {

  private final ConcurrentHashMap<String, CompletableFuture<Status>> cancellations = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, CompletableFuture<Void>> started = new ConcurrentHashMap<>();

  @Override
  public void look(LabRequest request, StreamObserver<LabReply> response) {
    CallContext context = CallContext.current();
    if (request.getHang()) {
      ((ServerCallStreamObserver<LabReply>) response).setOnCancelHandler(
          () -> cancellation(request.getText()).complete(context.getCancellationStatus()));
      started(request.getText()).complete(null);
      return;
    }
    response.onNext(LabService.seen(context).setText("host saw " + request.getText()).build());
    response.onCompleted();
  }

  /** Completes when the hanging call {@code id} has arrived. */
  public CompletableFuture<Void> started(String id) {
    return started.computeIfAbsent(id, k -> new CompletableFuture<>());
  }

  /** Completes with the status the hanging call {@code id} was cancelled with. */
  public CompletableFuture<Status> cancellation(String id) {
    return cancellations.computeIfAbsent(id, k -> new CompletableFuture<>());
  }
}
