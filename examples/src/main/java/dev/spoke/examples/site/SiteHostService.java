package dev.spoke.examples.site;

import com.google.protobuf.MessageLite;
import com.google.protobuf.UnsafeByteOperations;
import dev.spoke.CallContext;
import dev.spoke.Status;
import dev.spoke.examples.site.api.Asset;
import dev.spoke.examples.site.api.AssetRequest;
import dev.spoke.examples.site.api.LinkRequest;
import dev.spoke.examples.site.api.ResolvedLink;
import dev.spoke.examples.site.api.SiteHostSpoke;
import dev.spoke.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.util.function.Consumer;

/**
 * What the host serves its plugins: the site's files (only those), and where links go. Counts the
 * calls, and tells a listener who made each one (the demo's kill switch waits for one from its
 * victim, so that the victim dies with a call in flight).
 *
 * <p>Thread-safe.
 */
final class SiteHostService extends SiteHostSpoke.SiteHostImplBase {

  private final SiteFiles site;
  private final SiteLinks links;
  private final CallStats stats;
  private final Consumer<String> onCallback;

  /**
   * @param stats counts the plugins' calls to the host
   * @param onCallback told who calls ({@link CallContext#getPeer()}) at the start of every call
   */
  SiteHostService(SiteFiles site, CallStats stats, Consumer<String> onCallback) {
    this.site = site;
    this.links = new SiteLinks(site.outputs);
    this.stats = stats;
    this.onCallback = onCallback;
  }

  @Override
  public void readAsset(AssetRequest request, StreamObserver<Asset> response) {
    long start = begin(request.getSerializedSize());
    if (!site.has(request.getPath())) {
      throw end(start, Status.NOT_FOUND.withDescription("the site has no file " + request.getPath()));
    }
    byte[] content;
    try {
      content = Files.readAllBytes(site.file(request.getPath()));
    } catch (IOException e) {
      throw end(start, Status.UNAVAILABLE.withDescription("cannot read " + request.getPath() + ": " + e.getMessage()));
    }
    reply(start, response, Asset.newBuilder().setPath(request.getPath()).setContent(UnsafeByteOperations.unsafeWrap(content)).build());
  }

  @Override
  public void resolveLink(LinkRequest request, StreamObserver<ResolvedLink> response) {
    long start = begin(request.getSerializedSize());
    reply(start, response, links.resolve(request.getFromPath(), request.getHref()));
  }

  private long begin(int requestBytes) {
    onCallback.accept(CallContext.current().getPeer());
    stats.started();
    stats.received(requestBytes);
    return System.nanoTime();
  }

  private <T extends MessageLite> void reply(long start, StreamObserver<T> response, T message) {
    stats.sent(message.getSerializedSize());
    response.onNext(message);
    response.onCompleted();
    stats.finished(System.nanoTime() - start, Status.Code.OK);
  }

  private RuntimeException end(long start, Status status) {
    stats.finished(System.nanoTime() - start, status.getCode());
    return status.asRuntimeException();
  }
}
