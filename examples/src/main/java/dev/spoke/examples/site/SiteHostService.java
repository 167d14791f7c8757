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
 * What the host serves its plugins: the site's files (only those), and where links go. Tells a listener
 * who made each call (the demo's kill switch waits for one from its victim, so that the victim dies
 * with a call in flight). The calls are counted by a {@link CallMeter} the host installs in front of
 * it.
 *
 * <p>Thread-safe.
 */
final class SiteHostService extends SiteHostSpoke.SiteHostImplBase {

  private final SiteFiles site;
  private final SiteLinks links;
  private final Consumer<String> onCallback;

  /** @param onCallback told who calls ({@link CallContext#getPeer()}) at the start of every call */
  SiteHostService(SiteFiles site, Consumer<String> onCallback) {
    this.site = site;
    this.links = new SiteLinks(site.outputs);
    this.onCallback = onCallback;
  }

  @Override
  public void readAsset(AssetRequest request, StreamObserver<Asset> response) {
    onCallback.accept(CallContext.current().getPeer());
    if (!site.has(request.getPath())) {
      response.onError(Status.NOT_FOUND.withDescription("the site has no file " + request.getPath()).asRuntimeException());
      return;
    }
    byte[] content;
    try {
      content = Files.readAllBytes(site.file(request.getPath()));
    } catch (IOException e) {
      response.onError(Status.UNAVAILABLE.withDescription("cannot read " + request.getPath() + ": " + e.getMessage())
          .asRuntimeException());
      return;
    }
    reply(response, Asset.newBuilder().setPath(request.getPath()).setContent(UnsafeByteOperations.unsafeWrap(content)).build());
  }

  @Override
  public void resolveLink(LinkRequest request, StreamObserver<ResolvedLink> response) {
    onCallback.accept(CallContext.current().getPeer());
    reply(response, links.resolve(request.getFromPath(), request.getHref()));
  }

  private static <T extends MessageLite> void reply(StreamObserver<T> response, T message) {
    response.onNext(message);
    response.onCompleted();
  }
}
