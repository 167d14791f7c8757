package dev.spoke.bench;

import java.util.ArrayList;
import java.util.List;

/** A Markdown table with its columns padded, so it reads as well on a console as rendered. Not thread-safe. */
final class MarkdownTable {

  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  MarkdownTable(List<String> header) {
    this.header = header;
  }

  MarkdownTable(String... header) {
    this(List.of(header));
  }

  MarkdownTable row(List<String> cells) {
    if (cells.size() != header.size()) {
      throw new IllegalArgumentException("a row of " + cells.size() + " cells in a table of " + header.size() + " columns");
    }
    rows.add(cells);
    return this;
  }

  MarkdownTable row(String... cells) {
    return row(List.of(cells));
  }

  boolean isEmpty() {
    return rows.isEmpty();
  }

  @Override
  public String toString() {
    int[] width = new int[header.size()];
    for (int c = 0; c < width.length; c++) {
      width[c] = Math.max(3, header.get(c).length());
      for (List<String> r : rows) {
        width[c] = Math.max(width[c], r.get(c).length());
      }
    }
    StringBuilder sb = new StringBuilder();
    line(sb, header, width);
    sb.append('|');
    for (int w : width) {
      sb.append(' ').append("-".repeat(w)).append(" |");
    }
    sb.append('\n');
    for (List<String> r : rows) {
      line(sb, r, width);
    }
    return sb.toString();
  }

  private static void line(StringBuilder sb, List<String> cells, int[] width) {
    sb.append('|');
    for (int c = 0; c < width.length; c++) {
      String s = cells.get(c);
      sb.append(' ').append(s).append(" ".repeat(width[c] - s.length())).append(" |");
    }
    sb.append('\n');
  }
}
