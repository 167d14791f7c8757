package dev.spoke.examples.site.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PixelsTest {

  /** Pixel (x, y) has red x, green y, blue 7, alpha 255. */
  private static Pixels gradient(int w, int h) {
    byte[] rgba = new byte[w * h * 4];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int o = (y * w + x) * 4;
        rgba[o] = (byte) x;
        rgba[o + 1] = (byte) y;
        rgba[o + 2] = 7;
        rgba[o + 3] = (byte) 255;
      }
    }
    return new Pixels(w, h, rgba);
  }

  @Test
  void pngRoundTripKeepsEveryPixel() throws Exception {
    Pixels p = gradient(50, 30);
    Pixels back = Pixels.decode(p.encodePng());
    assertEquals(50, back.width);
    assertEquals(30, back.height);
    assertArrayEquals(p.rgba, back.rgba);
  }

  @Test
  void transparencySurvivesARoundTrip() throws Exception {
    Pixels p = gradient(4, 4);
    p.rgba[3] = 0;
    assertArrayEquals(p.rgba, Pixels.decode(p.encodePng()).rgba);
  }

  @Test
  void fitWidthAveragesTheCoveredPixelsAndKeepsTheAspectRatio() {
    Pixels half = gradient(100, 60).fitWidth(50);
    assertEquals(50, half.width);
    assertEquals(30, half.height);
    // new pixel (1, 2) covers x 2..3 and y 4..5 of the original: red (2 + 3) / 2 rounds to 3, green 5
    int o = (2 * 50 + 1) * 4;
    assertEquals(3, half.rgba[o] & 0xFF);
    assertEquals(5, half.rgba[o + 1] & 0xFF);
    assertEquals(7, half.rgba[o + 2] & 0xFF);
    assertEquals(255, half.rgba[o + 3] & 0xFF);
    Pixels p = gradient(40, 10);
    assertSame(p, p.fitWidth(40), "never scales up");
    assertEquals(3, gradient(1600, 1200).fitWidth(4).height);
  }

  @Test
  void grayscaleUsesLuma() {
    Pixels p = new Pixels(1, 1, new byte[] {(byte) 200, 100, 50, (byte) 128});
    byte[] g = p.grayscale().rgba;
    int luma = (200 * 299 + 100 * 587 + 50 * 114 + 500) / 1000;
    assertArrayEquals(new byte[] {(byte) luma, (byte) luma, (byte) luma, (byte) 128}, g);
  }

  @Test
  void refusesBytesThatDoNotMatchTheSize() {
    assertThrows(IllegalArgumentException.class, () -> new Pixels(2, 2, new byte[15]));
    assertThrows(IllegalArgumentException.class, () -> Pixels.decode(new byte[] {1, 2, 3}));
  }
}
