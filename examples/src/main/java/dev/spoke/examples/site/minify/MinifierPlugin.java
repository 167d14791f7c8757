package dev.spoke.examples.site.minify;

// [START imports]
import dev.spoke.examples.site.api.BrokenLink;
import dev.spoke.examples.site.api.LinkRequest;
import dev.spoke.examples.site.api.MinifierSpoke;
import dev.spoke.examples.site.api.MinifyRequest;
import dev.spoke.examples.site.api.MinifyResponse;
import dev.spoke.examples.site.api.ResolvedLink;
import dev.spoke.examples.site.api.SiteHostSpoke;
import dev.spoke.peer.SpokePeer;
import dev.spoke.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
// [END imports]

/**
 * The minifier plugin: serves {@code Minifier}, and asks the host ({@code SiteHost.ResolveLink}) about
 * every link of every file it minifies.
 */
public final class MinifierPlugin {

  private MinifierPlugin() {}

  // [START plugin-main]
  public static void main(String[] args) {
    SpokePeer peer = SpokePeer.attach(args);  // the hub, peer id and token the host passed
    SiteHostSpoke.SiteHostBlockingStub host = SiteHostSpoke.newBlockingStub(peer.hostChannel());
    peer.addService(new MinifierService(host));
    peer.serve();                             // READY, then serve until the host says stop
  }
  // [END plugin-main]

  // [START plugin-service]
  static final class MinifierService extends MinifierSpoke.MinifierImplBase {
    private final SiteHostSpoke.SiteHostBlockingStub host;

    MinifierService(SiteHostSpoke.SiteHostBlockingStub host) {
      this.host = host;
    }

    @Override
    public void minifyHtml(MinifyRequest request, StreamObserver<MinifyResponse> response) {
      LinkChecker links = new LinkChecker(host, request.getPath());
      String html = HtmlMinifier.minify(request.getContent(), links::resolve); // a call to the host per link
      response.onNext(links.report(MinifyResponse.newBuilder().setContent(html)));
      response.onCompleted();
    }

    @Override
    public void minifyCss(MinifyRequest request, StreamObserver<MinifyResponse> response) {
      LinkChecker links = new LinkChecker(host, request.getPath());
      String css = CssMinifier.minify(request.getContent(), links::resolve);
      response.onNext(links.report(MinifyResponse.newBuilder().setContent(css)));
      response.onCompleted();
    }
  }
  // [END plugin-service]

  /**
   * Resolves the links of one file through the host, and keeps count. Calls made from a handler's
   * thread inherit the handler's deadline and are cancelled with it.
   *
   * <p>Not thread-safe: one file, one thread.
   */
  static final class LinkChecker {
    private final SiteHostSpoke.SiteHostBlockingStub host;
    private final String path;
    private final List<BrokenLink> broken = new ArrayList<>();
    private int checked;

    LinkChecker(SiteHostSpoke.SiteHostBlockingStub host, String path) {
      this.host = host;
      this.path = path;
    }

    /** The href to write instead of {@code href}. */
    String resolve(String href) {
      ResolvedLink link = host.resolveLink(LinkRequest.newBuilder().setFromPath(path).setHref(href).build());
      checked++;
      if (link.getBroken()) {
        broken.add(BrokenLink.newBuilder().setHref(href).setReason(link.getReason()).build());
      }
      return link.getHref();
    }

    MinifyResponse report(MinifyResponse.Builder response) {
      return response.setLinksChecked(checked).addAllBrokenLinks(broken).build();
    }
  }
}
