package dev.spoke.host;

import com.google.protobuf.ByteString;
import dev.spoke.Status;
import dev.spoke.it.Ack;
import dev.spoke.it.ChainReply;
import dev.spoke.it.ChainRequest;
import dev.spoke.it.EchoSpoke;
import dev.spoke.it.Event;
import dev.spoke.it.HostCallbacksSpoke;
import dev.spoke.it.Payload;
import dev.spoke.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/** What the test host serves to its plugins. */
final class TestCallbacks extends HostCallbacksSpoke.HostCallbacksImplBase {

  final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
  final List<Plugin> plugins = new CopyOnWriteArrayList<>();
  /** Set by tests that want to know who called reverse: then each call adds host.caller() here. */
  volatile SpokeHost host;
  final LinkedBlockingQueue<String> reverseCallers = new LinkedBlockingQueue<>();
  /** The trace id current in each relay (see ApiFixtures), or "none". */
  final LinkedBlockingQueue<String> relayTraces = new LinkedBlockingQueue<>();

  @Override
  public void relay(ChainRequest request, StreamObserver<ChainReply> response) {
    String trace = ApiFixtures.TRACE_ID.get();
    relayTraces.add(trace == null ? "none" : trace);
    String from = request.getPath(request.getPathCount() - 1).replaceFirst("#.*", "");
    Plugin next = plugins.stream().filter(p -> !p.name().equals(from)).findFirst()
        .orElseThrow(() -> Status.FAILED_PRECONDITION.withDescription("no plugin besides " + from).asRuntimeException());
    response.onNext(EchoSpoke.newBlockingStub(next.channel()).chain(request));
    response.onCompleted();
  }

  @Override
  public void report(Event request, StreamObserver<Ack> response) {
    events.add(request);
    response.onNext(Ack.getDefaultInstance());
    response.onCompleted();
  }

  @Override
  public void reverse(Payload request, StreamObserver<Payload> response) {
    SpokeHost h = host;
    if (h != null) {
      Plugin caller = h.caller();
      reverseCallers.add(caller == null ? "nobody" : caller.name());
    }
    byte[] b = request.getData().toByteArray();
    for (int i = 0, j = b.length - 1; i < j; i++, j--) {
      byte t = b[i];
      b[i] = b[j];
      b[j] = t;
    }
    response.onNext(EchoPlugin.payload(request.getId(), ByteString.copyFrom(b)));
    response.onCompleted();
  }
}
