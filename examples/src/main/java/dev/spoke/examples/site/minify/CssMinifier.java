package dev.spoke.examples.site.minify;

import java.util.function.UnaryOperator;

/**
 * Minifies CSS: drops comments, collapses whitespace and removes it where the syntax does not need it,
 * drops the last semicolon of a block, and passes every {@code url(...)} through a link rewriter.
 * Strings are kept as they are. Not a full CSS parser: it never changes what a valid stylesheet means,
 * and leaves what it does not understand alone.
 *
 * <p>Stateless and thread-safe.
 */
public final class CssMinifier {

  /** No space is needed after these. */
  private static final String TIGHT_AFTER = "{};,>:(";
  /** No space is needed before these. */
  private static final String TIGHT_BEFORE = "{};,>)";

  private CssMinifier() {}

  /**
   * The minified stylesheet.
   *
   * @param links given each {@code url(...)} target as written (without quotes), returns what to write
   */
  public static String minify(String css, UnaryOperator<String> links) {
    StringBuilder out = new StringBuilder(css.length());
    boolean pendingSpace = false;
    int i = 0;
    int n = css.length();
    while (i < n) {
      char c = css.charAt(i);
      if (c == '/' && i + 1 < n && css.charAt(i + 1) == '*') {
        int end = css.indexOf("*/", i + 2);
        i = end < 0 ? n : end + 2;
        pendingSpace = true; // a comment separates tokens like whitespace does
        continue;
      }
      if (Character.isWhitespace(c)) {
        pendingSpace = true;
        i++;
        continue;
      }
      if (pendingSpace && needsSpace(out, c)) {
        out.append(' ');
      }
      pendingSpace = false;
      if (c == '"' || c == '\'') {
        int end = endOfString(css, i);
        out.append(css, i, end);
        i = end;
      } else if (startsWithUrl(css, i)) {
        i = appendUrl(css, i, out, links);
      } else if (c == '}' && out.length() > 0 && out.charAt(out.length() - 1) == ';') {
        out.setCharAt(out.length() - 1, '}');
        i++;
      } else {
        out.append(c);
        i++;
      }
    }
    return out.toString();
  }

  private static boolean needsSpace(StringBuilder out, char next) {
    return out.length() > 0 && TIGHT_AFTER.indexOf(out.charAt(out.length() - 1)) < 0 && TIGHT_BEFORE.indexOf(next) < 0;
  }

  /** The index just past the string that starts at {@code start} (its quote), escapes included. */
  private static int endOfString(String s, int start) {
    char quote = s.charAt(start);
    int i = start + 1;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '\\') {
        i += 2;
      } else if (c == quote || c == '\n') {
        return i + 1;
      } else {
        i++;
      }
    }
    return s.length();
  }

  private static boolean startsWithUrl(String s, int i) {
    return s.regionMatches(true, i, "url(", 0, 4) && (i == 0 || !Character.isLetterOrDigit(s.charAt(i - 1)) && s.charAt(i - 1) != '-');
  }

  /** Appends {@code url(target)} with the rewritten target; returns the index past the closing parenthesis. */
  private static int appendUrl(String css, int start, StringBuilder out, UnaryOperator<String> links) {
    int i = start + 4;
    while (i < css.length() && Character.isWhitespace(css.charAt(i))) {
      i++;
    }
    String target;
    if (i < css.length() && (css.charAt(i) == '"' || css.charAt(i) == '\'')) {
      int end = endOfString(css, i);
      target = css.substring(i + 1, Math.max(i + 1, end - 1));
      i = end;
    } else {
      int end = i;
      while (end < css.length() && css.charAt(end) != ')') {
        end++;
      }
      target = css.substring(i, end).strip();
      i = end;
    }
    int close = css.indexOf(')', i);
    if (close < 0) {
      out.append(css, start, css.length()); // unterminated: leave it as written
      return css.length();
    }
    String rewritten = links.apply(target);
    boolean plain = rewritten.chars().noneMatch(ch -> Character.isWhitespace(ch) || "\"'()\\".indexOf(ch) >= 0);
    out.append("url(").append(plain ? rewritten : '"' + rewritten.replace("\"", "\\\"") + '"').append(')');
    return close + 1;
  }
}
