package dev.spoke.bench;

import java.util.Locale;

/** Numbers as the reports print them: three significant digits, thousands separated. */
final class Format {

  private Format() {}

  /** Nanoseconds as microseconds, without the unit: {@code 0.312}, {@code 31.2}, {@code 3,120}. */
  static String micros(double nanos) {
    return sig3(nanos / 1000.0);
  }

  /** A count or rate, rounded to three significant digits: {@code 1,230,000}. */
  static String count(double v) {
    if (v >= 1000) {
      double scale = Math.pow(10, Math.floor(Math.log10(v)) - 2);
      return String.format(Locale.ROOT, "%,d", Math.round(Math.round(v / scale) * scale));
    }
    return sig3(v);
  }

  /** Three significant digits, never in scientific notation. */
  static String sig3(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return "—";
    }
    double a = Math.abs(v);
    if (a == 0) {
      return "0";
    }
    if (a >= 1000) {
      return count(v);
    }
    if (a >= 100) {
      return String.format(Locale.ROOT, "%.0f", v);
    }
    if (a >= 10) {
      return String.format(Locale.ROOT, "%.1f", v);
    }
    if (a >= 1) {
      return String.format(Locale.ROOT, "%.2f", v);
    }
    if (a >= 0.1) {
      return String.format(Locale.ROOT, "%.3f", v);
    }
    return String.format(Locale.ROOT, "%.4f", v);
  }

  /** A ratio of a to b as {@code 0.018 (1/55)} when below 1, {@code 23×} style otherwise. */
  static String ratio(double a, double b) {
    if (!(a > 0) || !(b > 0)) {
      return "—";
    }
    double r = a / b;
    return r < 1 ? sig3(r) + " (1/" + sig3(1 / r) + ")" : sig3(r);
  }

  /** Bytes as {@code 16 B}, {@code 1.5 KiB}, {@code 16 MiB}. */
  static String bytes(double n) {
    if (n >= 1 << 20) {
      return sig3(n / (1 << 20)) + " MiB";
    }
    if (n >= 1 << 10) {
      return sig3(n / (1 << 10)) + " KiB";
    }
    return sig3(n) + " B";
  }

  static String percent(double fraction) {
    return sig3(fraction * 100) + "%";
  }
}
