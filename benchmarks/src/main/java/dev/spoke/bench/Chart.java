package dev.spoke.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The latency chart of docs/BENCHMARKS.md, as a self-contained SVG: four panels (p50, p90, p99, p99.9),
 * payload size across, round-trip time up on one logarithmic scale shared by all panels, one line per
 * configuration plus the machine's floor. Written by hand: no plotting library.
 */
final class Chart {

  private static final String[][] PERCENTILES = {{"p50", "p50"}, {"p90", "p90"}, {"p99", "p99"}, {"p999", "p99.9"}};
  private static final String FLOOR_COLOR = "#777777";

  private static final int PANEL_W = 430;
  private static final int PANEL_H = 290;
  private static final int LEFT = 64;
  private static final int TOP = 36;
  private static final int GAP_X = 40;
  private static final int GAP_Y = 60;
  private static final int PLOT_W = PANEL_W - LEFT - 12;
  private static final int PLOT_H = PANEL_H - TOP - 40;
  private static final int LEGEND_H = 70;

  private final Results results;

  Chart(Results results) {
    this.results = results;
  }

  /** A line's colour: Spoke's cool, gRPC's warm. */
  private static String color(Series s) {
    switch (s) {
      case SPOKE_DIRECT: return "#1f5fbf";
      case SPOKE_DIRECT_SPIN: return "#17becf";
      case SPOKE_POOL: return "#7048e8";
      case GRPC_UDS_DIRECT: return "#d62728";
      case GRPC_UDS: return "#ff7f0e";
      case GRPC_TCP_DIRECT: return "#8c564b";
      case BRIDGE_TCP_DIRECT: return "#2ca02c";
      case BRIDGE_TCP: return "#98df8a";
      default: return "#e377c2";
    }
  }

  /** A line's dashes: Spoke solid, gRPC over a Unix socket dashed, over TCP dash-dotted, Spoke over gRPC dotted. */
  private static String dashes(Series s) {
    return s.isBridge() ? "2,3" : !s.isGrpc() ? "" : s.isUds() ? "7,3" : "10,3,2,3";
  }

  String svg(String title) {
    double lo = Double.MAX_VALUE;
    double hi = 0;
    for (String[] p : PERCENTILES) {
      for (int size : Payloads.UNARY_SIZES) {
        for (Series s : Series.COLUMNS) {
          Optional<Result> r = results.latency(s, size);
          if (r.isPresent()) {
            lo = Math.min(lo, r.get().num(p[0]));
            hi = Math.max(hi, r.get().num(p[0]));
          }
        }
        double floor = results.floorNanos(size, p[0]);
        if (floor > 0) {
          lo = Math.min(lo, floor);
          hi = Math.max(hi, floor);
        }
      }
    }
    if (hi == 0) {
      lo = 100;
      hi = 1e6;
    }
    // nanoseconds → decades of microseconds, rounded out to whole decades
    int minDecade = (int) Math.floor(Math.log10(lo / 1000));
    int maxDecade = (int) Math.ceil(Math.log10(hi / 1000));
    if (maxDecade == minDecade) {
      maxDecade++;
    }
    int width = 2 * PANEL_W + GAP_X + 20;
    int height = LEGEND_H + 2 * PANEL_H + GAP_Y;
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
            + "font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">%n", width, height, width, height));
    sb.append(String.format("<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", width, height));
    sb.append(String.format("<text x=\"10\" y=\"18\" font-size=\"14\" font-weight=\"bold\">%s</text>%n", escape(title)));
    legend(sb);
    for (int i = 0; i < PERCENTILES.length; i++) {
      int x0 = 10 + (i % 2) * (PANEL_W + GAP_X);
      int y0 = LEGEND_H + (i / 2) * (PANEL_H + GAP_Y / 2);
      panel(sb, x0, y0, PERCENTILES[i][0], PERCENTILES[i][1], minDecade, maxDecade);
    }
    sb.append("</svg>\n");
    return sb.toString();
  }

  private void legend(StringBuilder sb) {
    List<String[]> entries = new ArrayList<>();
    for (Series s : Series.COLUMNS) {
      entries.add(new String[] {s.label, color(s), dashes(s)});
    }
    entries.add(new String[] {"floor (spin + one copy each way)", FLOOR_COLOR, "1,3"});
    int perRow = 4;
    for (int i = 0; i < entries.size(); i++) {
      int x = 10 + (i % perRow) * 215;
      int y = 36 + (i / perRow) * 18;
      String[] e = entries.get(i);
      sb.append(String.format("<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"2.5\"%s/>%n",
          x, y, x + 26, y, e[1], e[2].isEmpty() ? "" : " stroke-dasharray=\"" + e[2] + "\""));
      sb.append(String.format("<text x=\"%d\" y=\"%d\">%s</text>%n", x + 32, y + 4, escape(e[0])));
    }
  }

  private void panel(StringBuilder sb, int x0, int y0, String key, String name, int minDecade, int maxDecade) {
    int px = x0 + LEFT;
    int py = y0 + TOP;
    sb.append(String.format("<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">%s round trip (lower is better)</text>%n",
        px, y0 + 20, name));
    sb.append(String.format("<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" stroke=\"#bbbbbb\"/>%n",
        px, py, PLOT_W, PLOT_H));
    for (int d = minDecade; d <= maxDecade; d++) {
      double y = yOf(Math.pow(10, d) * 1000, py, minDecade, maxDecade);
      sb.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e6e6e6\"/>%n",
          px, y, px + PLOT_W, y));
      sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
          px - 6, y + 4, decadeLabel(d)));
    }
    List<Integer> sizes = Payloads.UNARY_SIZES;
    for (int i = 0; i < sizes.size(); i++) {
      double x = xOf(i, px);
      sb.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
          x, py + PLOT_H + 16, Payloads.label(sizes.get(i))));
    }
    sb.append(String.format("<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"#555555\">payload</text>%n",
        px + PLOT_W / 2, py + PLOT_H + 32));
    List<double[]> floor = new ArrayList<>();
    for (int i = 0; i < sizes.size(); i++) {
      double f = results.floorNanos(sizes.get(i), key);
      if (f > 0) {
        floor.add(new double[] {xOf(i, px), yOf(f, py, minDecade, maxDecade)});
      }
    }
    polyline(sb, floor, FLOOR_COLOR, "1,3");
    for (Series s : Series.COLUMNS) {
      List<double[]> points = new ArrayList<>();
      for (int i = 0; i < sizes.size(); i++) {
        Optional<Result> r = results.latency(s, sizes.get(i));
        if (r.isPresent()) {
          points.add(new double[] {xOf(i, px), yOf(r.get().num(key), py, minDecade, maxDecade)});
        }
      }
      polyline(sb, points, color(s), dashes(s));
    }
  }

  private static void polyline(StringBuilder sb, List<double[]> points, String color, String dash) {
    if (points.isEmpty()) {
      return;
    }
    StringBuilder p = new StringBuilder();
    for (double[] pt : points) {
      p.append(String.format(Locale.ROOT, "%.1f,%.1f ", pt[0], pt[1]));
    }
    sb.append(String.format("<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s/>%n",
        p.toString().trim(), color, dash.isEmpty() ? "" : " stroke-dasharray=\"" + dash + "\""));
    for (double[] pt : points) {
      sb.append(String.format(Locale.ROOT, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>%n", pt[0], pt[1], color));
    }
  }

  private static double xOf(int index, int px) {
    return px + 24 + index * (PLOT_W - 48) / (double) (Payloads.UNARY_SIZES.size() - 1);
  }

  /** Nanoseconds → y, on a log scale of microsecond decades. */
  private static double yOf(double nanos, int py, int minDecade, int maxDecade) {
    double d = Math.log10(Math.max(nanos, 1) / 1000);
    double f = (d - minDecade) / (maxDecade - minDecade);
    return py + PLOT_H - Math.max(0, Math.min(1, f)) * PLOT_H;
  }

  private static String decadeLabel(int d) {
    if (d >= 6) {
      return (long) Math.pow(10, d - 6) + " s";
    }
    if (d >= 3) {
      return (long) Math.pow(10, d - 3) + " ms";
    }
    if (d >= 0) {
      return (long) Math.pow(10, d) + " µs";
    }
    return java.math.BigDecimal.ONE.scaleByPowerOfTen(d).toPlainString() + " µs";
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
