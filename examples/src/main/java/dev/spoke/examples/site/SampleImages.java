package dev.spoke.examples.site;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.IntConsumer;
import javax.imageio.ImageIO;

/**
 * Draws the sample site's pictures, so that the repository holds no binaries. A site folder that has
 * {@code images/images.txt} gets each image listed there that is missing; each line reads {@code
 * file width height scene seed}. The same line always draws the same picture: landscapes with a
 * little grain, so that they compress like photos do (a few MiB of PNG for the large ones).
 *
 * <p>Stateless and thread-safe; writes each file atomically, so two runs at once do not clash.
 */
final class SampleImages {

  static final String MANIFEST = "images/images.txt";

  private SampleImages() {}

  /** One picture of the manifest. */
  private static final class Recipe {
    final String file;
    final int width;
    final int height;
    final String scene;
    final long seed;

    Recipe(String line) {
      String[] f = line.trim().split("\\s+");
      if (f.length != 5) {
        throw new IllegalArgumentException("expected 'file width height scene seed', got '" + line.trim() + "'");
      }
      this.file = f[0];
      this.width = Integer.parseInt(f[1]);
      this.height = Integer.parseInt(f[2]);
      this.scene = f[3];
      this.seed = Long.parseLong(f[4]);
    }
  }

  /**
   * Draws the missing pictures of the site's manifest, if it has one.
   *
   * @param announce told how many pictures are about to be drawn, if any
   * @return the files drawn (empty when none was missing)
   */
  static List<Path> ensure(Path site, IntConsumer announce) throws IOException {
    Path manifest = site.resolve(MANIFEST);
    if (!Files.isRegularFile(manifest)) {
      return List.of();
    }
    List<Recipe> missing = new ArrayList<>();
    for (String line : Files.readAllLines(manifest)) {
      if (line.isBlank() || line.strip().startsWith("#")) {
        continue;
      }
      Recipe r;
      try {
        r = new Recipe(line);
      } catch (IllegalArgumentException e) {
        throw new IOException(manifest + ": " + e.getMessage(), e);
      }
      if (!Files.exists(manifest.resolveSibling(r.file))) {
        missing.add(r);
      }
    }
    if (missing.isEmpty()) {
      return List.of();
    }
    announce.accept(missing.size());
    try {
      return missing.parallelStream().map(r -> draw(manifest.resolveSibling(r.file), r)).toList();
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  private static Path draw(Path target, Recipe r) {
    BufferedImage image = new BufferedImage(r.width, r.height, BufferedImage.TYPE_INT_RGB);
    int[] row = new int[r.width];
    Random grain = new Random(r.seed);
    Scene scene = new Scene(r.scene, r.seed, r.width, r.height);
    for (int y = 0; y < r.height; y++) {
      for (int x = 0; x < r.width; x++) {
        int rgb = scene.colour(x, y);
        int n = grain.nextInt(9) - 4;
        row[x] = clamp((rgb >> 16 & 0xFF) + n) << 16 | clamp((rgb >> 8 & 0xFF) + n) << 8 | clamp((rgb & 0xFF) + n);
      }
      image.setRGB(0, y, r.width, 1, row, 0, r.width);
    }
    try {
      Path temp = Files.createTempFile(target.getParent(), ".drawing-", ".png");
      try {
        ImageIO.write(image, "png", temp.toFile());
        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(temp);
      }
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot draw " + target + ": " + e.getMessage(), e);
    }
  }

  private static int clamp(int v) {
    return Math.max(0, Math.min(255, v));
  }

  /** A landscape: sky, a sun, three ridges of a scene's colours; or a soft tile for a texture. */
  private static final class Scene {
    private final String kind;
    private final int width;
    private final int height;
    private final int[] sky;
    private final int[] ridges;
    private final double[][] waves;
    private final double sunX;
    private final double sunY;

    Scene(String kind, long seed, int width, int height) {
      this.kind = kind;
      this.width = width;
      this.height = height;
      Random r = new Random(seed * 7919);
      switch (kind) {
        case "sea":
          sky = new int[] {0xF6C48A, 0x6FA3D6};
          ridges = new int[] {0x3E6E8E, 0x2C5877, 0x1D3F5A};
          break;
        case "dunes":
          sky = new int[] {0xFBE3B0, 0x8EC3E6};
          ridges = new int[] {0xE2B06B, 0xCF9550, 0xB37A3A};
          break;
        case "forest":
          sky = new int[] {0xDDEBD2, 0x8FB8C9};
          ridges = new int[] {0x5C7F4E, 0x3F6338, 0x274A25};
          break;
        case "city":
          sky = new int[] {0x3A2E5C, 0x0E1030};
          ridges = new int[] {0x2A2850, 0x1C1B3A, 0x100F24};
          break;
        case "glacier":
          sky = new int[] {0xE8F1F8, 0x9CC3E0};
          ridges = new int[] {0xCFE3F1, 0xA9C9E2, 0x7FA7C9};
          break;
        case "texture":
          sky = new int[] {0xF4F1EA, 0xECE7DC};
          ridges = new int[] {0xEFEAE0, 0xEAE4D8, 0xE6E0D3};
          break;
        default: // hills
          sky = new int[] {0xFCE9C8, 0x9BC7E8};
          ridges = new int[] {0x9CBF6A, 0x75A04C, 0x4E7D33};
      }
      waves = new double[3][6];
      for (double[] w : waves) {
        for (int i = 0; i < w.length; i++) {
          w[i] = r.nextDouble();
        }
      }
      sunX = 0.2 + 0.6 * r.nextDouble();
      sunY = 0.15 + 0.2 * r.nextDouble();
    }

    int colour(int x, int y) {
      double u = (double) x / width;
      double v = (double) y / height;
      for (int i = ridges.length - 1; i >= 0; i--) {
        if (v > ridgeTop(i, u)) {
          int shade = (int) (18 * (v - ridgeTop(i, u)) * (kind.equals("city") ? 0 : 1));
          return darken(ridges[i], shade);
        }
      }
      double d = Math.hypot((u - sunX) * width / height, v - sunY);
      if (!kind.equals("texture") && d < 0.06) {
        return kind.equals("city") ? 0xF2F0E6 : 0xFFF4D6;
      }
      int base = mix(sky[0], sky[1], v / 0.7);
      return d < 0.2 && !kind.equals("texture") ? mix(0xFFF1C9, base, d / 0.2) : base;
    }

    private double ridgeTop(int i, double u) {
      double[] w = waves[i];
      double base = 0.45 + 0.15 * i;
      if (kind.equals("city")) {
        double block = Math.floor(u * (18 + 10 * i + 7 * w[0]));
        return base - 0.12 * Math.abs(Math.sin(block * (1.7 + w[1]) + w[2] * 10));
      }
      return base
          + 0.06 * Math.sin(u * (3 + 5 * w[0]) * Math.PI + w[1] * 6)
          + 0.03 * Math.sin(u * (9 + 9 * w[2]) * Math.PI + w[3] * 6)
          + 0.01 * Math.sin(u * (31 + 20 * w[4]) * Math.PI + w[5] * 6);
    }

    private static int mix(int a, int b, double t) {
      double k = Math.max(0, Math.min(1, t));
      int r = (int) ((a >> 16 & 0xFF) * (1 - k) + (b >> 16 & 0xFF) * k);
      int g = (int) ((a >> 8 & 0xFF) * (1 - k) + (b >> 8 & 0xFF) * k);
      int bl = (int) ((a & 0xFF) * (1 - k) + (b & 0xFF) * k);
      return r << 16 | g << 8 | bl;
    }

    private static int darken(int rgb, int by) {
      return clamp((rgb >> 16 & 0xFF) - by) << 16 | clamp((rgb >> 8 & 0xFF) - by) << 8 | clamp((rgb & 0xFF) - by);
    }
  }
}
