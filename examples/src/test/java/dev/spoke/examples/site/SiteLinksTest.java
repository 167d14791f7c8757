package dev.spoke.examples.site;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.spoke.examples.site.api.ResolvedLink;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SiteLinksTest {

  private final SiteLinks links = new SiteLinks(Set.of("index.html", "about.html", "gallery.html", "docs/index.html",
      "docs/hub.html", "blog/index.html", "blog/post-01.html", "images/a.png", "css/site.css"));

  private String href(String from, String href) {
    ResolvedLink link = links.resolve(from, href);
    assertFalse(link.getBroken(), from + " -> " + href + ": " + link.getReason());
    return link.getHref();
  }

  @Test
  void resolvesLikeAStaticServerAndPointsAtFiles() {
    assertEquals("../index.html", href("blog/post-01.html", "/"));
    assertEquals("../docs/index.html", href("blog/post-01.html", "/docs/"));
    assertEquals("index.html", href("docs/hub.html", "./"));
    assertEquals("gallery.html", href("index.html", "gallery"));
    assertEquals("docs/index.html", href("index.html", "docs"));
    assertEquals("hub.html", href("docs/index.html", "hub"));
    assertEquals("../images/a.png", href("css/site.css", "../images/a.png"));
    assertEquals("../about.html#colophon", href("docs/hub.html", "../about.html#colophon"));
    assertEquals("post-01.html?x=1", href("blog/index.html", "post-01.html?x=1"));
  }

  @Test
  void leavesOtherSitesAndFragmentsAlone() {
    ResolvedLink external = links.resolve("index.html", "https://protobuf.dev/");
    assertTrue(external.getExternal());
    assertEquals("https://protobuf.dev/", external.getHref());
    assertTrue(links.resolve("index.html", "mailto:a@b").getExternal());
    assertTrue(links.resolve("index.html", "//cdn.example/x.js").getExternal());
    assertEquals("#top", href("about.html", "#top"));
  }

  @Test
  void saysWhyALinkIsBroken() {
    ResolvedLink missing = links.resolve("blog/post-01.html", "post-99.html");
    assertTrue(missing.getBroken());
    assertEquals("post-99.html", missing.getHref());
    assertEquals("no such file: blog/post-99.html", missing.getReason());
    ResolvedLink outside = links.resolve("index.html", "../../etc/passwd");
    assertTrue(outside.getBroken());
    assertEquals("it leads out of the site", outside.getReason());
  }

  @Test
  void relativePaths() {
    assertEquals("a.html", SiteLinks.relative("", "a.html"));
    assertEquals("../a.html", SiteLinks.relative("x/", "a.html"));
    assertEquals("../../y/b.html", SiteLinks.relative("x/z/", "y/b.html"));
    assertEquals("c.html", SiteLinks.relative("x/", "x/c.html"));
  }
}
