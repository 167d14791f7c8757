package dev.spoke.examples.site;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The files of a site, by what the build does with them: pages ({@code .html}) and stylesheets
 * ({@code .css}) are minified, PNG images scaled (each gets a thumbnail besides), shell samples
 * ({@code .sh}) run and copied; anything else is copied. Paths are relative to the site's root, with
 * {@code /} between names, as links write them.
 *
 * <p>Immutable.
 */
final class SiteFiles {

  final Path root;
  final List<String> pages;
  final List<String> stylesheets;
  final List<String> images;
  final List<String> samples;
  final List<String> others;
  /** Every path the built site has: the input's, and the thumbnails. */
  final Set<String> outputs;
  private final Set<String> inputs;

  private SiteFiles(Path root, List<String> all) {
    this.root = root;
    List<String> pages = new ArrayList<>();
    List<String> stylesheets = new ArrayList<>();
    List<String> images = new ArrayList<>();
    List<String> samples = new ArrayList<>();
    List<String> others = new ArrayList<>();
    Set<String> outputs = new HashSet<>(all);
    for (String path : all) {
      String lower = path.toLowerCase(Locale.ROOT);
      if (lower.endsWith(".html") || lower.endsWith(".htm")) {
        pages.add(path);
      } else if (lower.endsWith(".css")) {
        stylesheets.add(path);
      } else if (lower.endsWith(".png")) {
        images.add(path);
        outputs.add(thumbnailOf(path));
      } else {
        if (lower.endsWith(".sh")) {
          samples.add(path);
        }
        others.add(path);
      }
    }
    this.pages = Collections.unmodifiableList(pages);
    this.stylesheets = Collections.unmodifiableList(stylesheets);
    this.images = Collections.unmodifiableList(images);
    this.samples = Collections.unmodifiableList(samples);
    this.others = Collections.unmodifiableList(others);
    this.outputs = Collections.unmodifiableSet(outputs);
    this.inputs = Set.copyOf(all);
  }

  /** Every regular file below {@code root}, except hidden ones, sorted. */
  static SiteFiles scan(Path root) throws IOException {
    Path base = root.toAbsolutePath().normalize();
    try (Stream<Path> files = Files.walk(base)) {
      List<String> all = files
          .filter(Files::isRegularFile)
          .map(base::relativize)
          .filter(rel -> Stream.of(rel.toString().split("[/\\\\]")).noneMatch(name -> name.startsWith(".")))
          .map(rel -> rel.toString().replace('\\', '/'))
          .sorted()
          .toList();
      return new SiteFiles(base, all);
    }
  }

  /** {@code images/x.png} → {@code images/x.thumb.png}. */
  static String thumbnailOf(String imagePath) {
    int dot = imagePath.lastIndexOf('.');
    return imagePath.substring(0, dot) + ".thumb" + imagePath.substring(dot);
  }

  /** True if the input has this file. */
  boolean has(String path) {
    return inputs.contains(path);
  }

  /** The input file at a site path; the path is not checked. */
  Path file(String path) {
    return root.resolve(path);
  }

  int taskCount() {
    return pages.size() + stylesheets.size() + images.size() + samples.size();
  }
}
