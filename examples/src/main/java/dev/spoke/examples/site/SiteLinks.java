package dev.spoke.examples.site;

import dev.spoke.examples.site.api.ResolvedLink;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Resolves the links of a site the way a static server would, and rewrites them to point straight at
 * files, so the built site also works from {@code file://}: {@code /docs/} becomes {@code
 * ../docs/index.html} seen from {@code blog/post-01.html}, {@code gallery} becomes {@code gallery.html}.
 * Links to other sites ({@code https:}, {@code mailto:}, {@code //host}) and to fragments of the same
 * page are left alone.
 *
 * <p>Immutable and thread-safe.
 */
final class SiteLinks {

  private static final Pattern SCHEME = Pattern.compile("^[A-Za-z][A-Za-z0-9+.-]*:");

  private final Set<String> files;

  /** @param files every path of the built site, relative to its root, with {@code /} */
  SiteLinks(Set<String> files) {
    this.files = files;
  }

  ResolvedLink resolve(String fromPath, String href) {
    if (href.isEmpty() || href.startsWith("#")) {
      return ResolvedLink.newBuilder().setHref(href).build();
    }
    if (href.startsWith("//") || SCHEME.matcher(href).find()) {
      return ResolvedLink.newBuilder().setHref(href).setExternal(true).build();
    }
    int cut = firstOf(href, '?', '#');
    String path = href.substring(0, cut);
    String suffix = href.substring(cut);
    String base = path.startsWith("/") ? "" : directoryOf(fromPath);
    String joined = normalize(base + path);
    if (joined == null) {
      return broken(href, "it leads out of the site");
    }
    for (String candidate : candidates(joined, path.isEmpty() || path.endsWith("/"))) {
      if (files.contains(candidate)) {
        return ResolvedLink.newBuilder().setHref(relative(directoryOf(fromPath), candidate) + suffix).build();
      }
    }
    return broken(href, "no such file: " + (joined.isEmpty() ? "index.html" : joined));
  }

  private static ResolvedLink broken(String href, String reason) {
    return ResolvedLink.newBuilder().setHref(href).setBroken(true).setReason(reason).build();
  }

  /** What a server would try for a path: itself, then as a page, then as a folder. */
  private static List<String> candidates(String path, boolean folder) {
    if (folder || path.isEmpty()) {
      return List.of(path.isEmpty() ? "index.html" : path + "/index.html");
    }
    return List.of(path, path + ".html", path + "/index.html");
  }

  private static int firstOf(String s, char a, char b) {
    int i = s.indexOf(a);
    int j = s.indexOf(b);
    if (i < 0) {
      return j < 0 ? s.length() : j;
    }
    return j < 0 ? i : Math.min(i, j);
  }

  /** {@code blog/post-01.html} → {@code blog/}; {@code index.html} → the empty string. */
  static String directoryOf(String path) {
    return path.substring(0, path.lastIndexOf('/') + 1);
  }

  /** Removes {@code .}, {@code ..} and empty names; null if it climbs above the root. */
  private static String normalize(String path) {
    Deque<String> names = new ArrayDeque<>();
    for (String name : path.split("/")) {
      if (name.isEmpty() || name.equals(".")) {
        continue;
      }
      if (name.equals("..")) {
        if (names.isEmpty()) {
          return null;
        }
        names.removeLast();
      } else {
        names.addLast(name);
      }
    }
    return String.join("/", names);
  }

  /** The href from a page in folder {@code fromDir} (ending in {@code /}, or empty) to {@code target}. */
  static String relative(String fromDir, String target) {
    String[] from = fromDir.isEmpty() ? new String[0] : fromDir.split("/");
    String[] to = target.split("/");
    int common = 0;
    while (common < from.length && common < to.length - 1 && from[common].equals(to[common])) {
      common++;
    }
    StringBuilder b = new StringBuilder();
    for (int i = common; i < from.length; i++) {
      b.append("../");
    }
    for (int i = common; i < to.length; i++) {
      b.append(to[i]).append(i < to.length - 1 ? "/" : "");
    }
    return b.toString();
  }
}
