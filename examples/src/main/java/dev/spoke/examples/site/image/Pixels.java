package dev.spoke.examples.site.image;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * An image as raw RGBA pixels (row by row from the top left, 4 bytes each), and what the image plugin
 * does with them: decode and encode PNG with the JDK's ImageIO, scale down, turn grey.
 *
 * <p>Immutable; the pixel array is not copied, so do not change it after handing it over.
 */
public final class Pixels {

  public final int width;
  public final int height;
  /** {@code width * height * 4} bytes. */
  public final byte[] rgba;

  public Pixels(int width, int height, byte[] rgba) {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("an image of " + width + " x " + height + " pixels");
    }
    if (rgba.length != (long) width * height * 4) {
      throw new IllegalArgumentException("an image of " + width + " x " + height + " pixels has "
          + (long) width * height * 4 + " bytes of RGBA, not " + rgba.length);
    }
    this.width = width;
    this.height = height;
    this.rgba = rgba;
  }

  /**
   * Decodes an image in any format ImageIO reads (PNG among them).
   *
   * @throws IllegalArgumentException if the bytes are not such an image
   */
  public static Pixels decode(byte[] encoded) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(encoded));
    if (image == null) {
      throw new IllegalArgumentException("not an image ImageIO can read (" + encoded.length + " bytes)");
    }
    int w = image.getWidth();
    int h = image.getHeight();
    byte[] rgba = new byte[w * h * 4];
    int[] row = new int[w];
    for (int y = 0; y < h; y++) {
      image.getRGB(0, y, w, 1, row, 0, w);
      for (int x = 0, o = y * w * 4; x < w; x++, o += 4) {
        int argb = row[x];
        rgba[o] = (byte) (argb >>> 16);
        rgba[o + 1] = (byte) (argb >>> 8);
        rgba[o + 2] = (byte) argb;
        rgba[o + 3] = (byte) (argb >>> 24);
      }
    }
    return new Pixels(w, h, rgba);
  }

  /** Encodes as PNG; without alpha when every pixel is opaque. */
  public byte[] encodePng() throws IOException {
    boolean opaque = true;
    for (int o = 3; o < rgba.length && opaque; o += 4) {
      opaque = rgba[o] == (byte) 0xFF;
    }
    BufferedImage image = new BufferedImage(width, height, opaque ? BufferedImage.TYPE_INT_RGB : BufferedImage.TYPE_INT_ARGB);
    int[] row = new int[width];
    for (int y = 0; y < height; y++) {
      for (int x = 0, o = y * width * 4; x < width; x++, o += 4) {
        row[x] = (rgba[o + 3] & 0xFF) << 24 | (rgba[o] & 0xFF) << 16 | (rgba[o + 1] & 0xFF) << 8 | rgba[o + 2] & 0xFF;
      }
      image.setRGB(0, y, width, 1, row, 0, width);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(width * height);
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  /**
   * This image scaled down to {@code maxWidth} pixels wide, keeping its aspect ratio; itself if it is
   * no wider. Each new pixel is the average of the pixels it covers (a box filter), which is what
   * downscaling wants.
   */
  public Pixels fitWidth(int maxWidth) {
    if (maxWidth <= 0) {
      throw new IllegalArgumentException("a width of " + maxWidth + " pixels");
    }
    if (width <= maxWidth) {
      return this;
    }
    int w = maxWidth;
    int h = Math.max(1, (int) Math.round((double) height * w / width));
    byte[] out = new byte[w * h * 4];
    for (int y = 0; y < h; y++) {
      int y0 = (int) ((long) y * height / h);
      int y1 = Math.max(y0 + 1, (int) ((long) (y + 1) * height / h));
      for (int x = 0; x < w; x++) {
        int x0 = (int) ((long) x * width / w);
        int x1 = Math.max(x0 + 1, (int) ((long) (x + 1) * width / w));
        long r = 0;
        long g = 0;
        long b = 0;
        long a = 0;
        for (int sy = y0; sy < y1; sy++) {
          for (int sx = x0, o = (sy * width + x0) * 4; sx < x1; sx++, o += 4) {
            r += rgba[o] & 0xFF;
            g += rgba[o + 1] & 0xFF;
            b += rgba[o + 2] & 0xFF;
            a += rgba[o + 3] & 0xFF;
          }
        }
        long count = (long) (y1 - y0) * (x1 - x0);
        int o = (y * w + x) * 4;
        out[o] = (byte) ((r + count / 2) / count);
        out[o + 1] = (byte) ((g + count / 2) / count);
        out[o + 2] = (byte) ((b + count / 2) / count);
        out[o + 3] = (byte) ((a + count / 2) / count);
      }
    }
    return new Pixels(w, h, out);
  }

  /** This image in shades of grey (ITU-R BT.601 luma), alpha kept. */
  public Pixels grayscale() {
    byte[] out = new byte[rgba.length];
    for (int o = 0; o < rgba.length; o += 4) {
      int luma = ((rgba[o] & 0xFF) * 299 + (rgba[o + 1] & 0xFF) * 587 + (rgba[o + 2] & 0xFF) * 114 + 500) / 1000;
      out[o] = (byte) luma;
      out[o + 1] = (byte) luma;
      out[o + 2] = (byte) luma;
      out[o + 3] = rgba[o + 3];
    }
    return new Pixels(width, height, out);
  }
}
