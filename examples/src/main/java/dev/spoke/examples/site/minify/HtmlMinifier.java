package dev.spoke.examples.site.minify;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * Minifies HTML without changing its elements or its text: drops comments, collapses runs of
 * whitespace to one space, drops whitespace next to block-level tags (where browsers ignore it),
 * writes tags in one canonical form ({@code <a href="x" hidden>}) and passes every {@code href} and
 * {@code src} through a link rewriter. The content of {@code pre} and {@code textarea} is kept as
 * written, that of {@code script} too (trimmed), that of {@code style} goes through {@link
 * CssMinifier}.
 *
 * <p>Stateless and thread-safe.
 */
public final class HtmlMinifier {

  /** Elements whose content is not markup, or whose whitespace matters. */
  private static final Set<String> RAW = Set.of("script", "style", "pre", "textarea");

  /** Elements around which whitespace never renders. */
  private static final Set<String> BLOCK = Set.of(
      "html", "head", "body", "title", "meta", "link", "style", "script", "base",
      "header", "footer", "main", "nav", "section", "article", "aside", "div", "p", "figure",
      "figcaption", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "table",
      "thead", "tbody", "tfoot", "tr", "td", "th", "blockquote", "pre", "hr", "br", "form", "fieldset");

  /** Elements that have no end tag. */
  private static final Set<String> VOID = Set.of(
      "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr");

  private static final Set<String> LINK_ATTRIBUTES = Set.of("href", "src");

  private HtmlMinifier() {}

  /** A piece of the document: markup (a tag, with its name) or text. */
  private static final class Token {
    final String text;
    final String tagName; // null for text

    Token(String text, String tagName) {
      this.text = text;
      this.tagName = tagName;
    }

    boolean isBlockTag() {
      return tagName != null && (tagName.isEmpty() || BLOCK.contains(tagName));
    }
  }

  /**
   * The minified document.
   *
   * @param links given each {@code href} and {@code src} as written, returns what to write instead
   */
  public static String minify(String html, UnaryOperator<String> links) {
    List<Token> tokens = tokenize(html, links);
    StringBuilder out = new StringBuilder(html.length());
    for (int i = 0; i < tokens.size(); i++) {
      Token t = tokens.get(i);
      if (t.tagName != null) {
        out.append(t.text);
        continue;
      }
      String text = t.text;
      boolean blockBefore = i == 0 || tokens.get(i - 1).isBlockTag();
      boolean blockAfter = i == tokens.size() - 1 || tokens.get(i + 1).isBlockTag();
      if (blockBefore) {
        text = text.stripLeading();
      }
      if (blockAfter) {
        text = text.stripTrailing();
      }
      out.append(text);
    }
    return out.toString();
  }

  private static List<Token> tokenize(String html, UnaryOperator<String> links) {
    List<Token> tokens = new ArrayList<>();
    int i = 0;
    int n = html.length();
    while (i < n) {
      if (html.startsWith("<!--", i)) {
        int end = html.indexOf("-->", i + 4);
        i = end < 0 ? n : end + 3;
      } else if (html.startsWith("<!", i) || html.startsWith("<?", i)) {
        int end = indexOrEnd(html, '>', i);
        tokens.add(new Token(collapse(html.substring(i, end)), ""));
        i = end;
      } else if (isTagStart(html, i)) {
        Tag tag = Tag.parse(html, i);
        tokens.add(new Token(tag.render(links), tag.name));
        i = tag.end;
        if (!tag.closing && RAW.contains(tag.name)) {
          int close = indexOfIgnoreCase(html, "</" + tag.name, i);
          String content = html.substring(i, close);
          if (tag.name.equals("style")) {
            content = CssMinifier.minify(content, links);
          } else if (tag.name.equals("script")) {
            content = content.strip();
          }
          if (!content.isEmpty()) {
            tokens.add(new Token(content, "#raw"));
          }
          i = close;
        }
      } else {
        int end = html.indexOf('<', i + 1);
        end = end < 0 ? n : end;
        addText(tokens, html.substring(i, end));
        i = end;
      }
    }
    return tokens;
  }

  /** Adds text, joined to the text before it when a dropped comment or a lone {@code <} split them. */
  private static void addText(List<Token> tokens, String text) {
    Token last = tokens.isEmpty() ? null : tokens.get(tokens.size() - 1);
    if (last != null && last.tagName == null) {
      tokens.set(tokens.size() - 1, new Token(collapse(last.text + text), null));
    } else {
      tokens.add(new Token(collapse(text), null));
    }
  }

  private static boolean isTagStart(String s, int i) {
    if (s.charAt(i) != '<' || i + 1 >= s.length()) {
      return false;
    }
    char c = s.charAt(i + 1);
    return Character.isLetter(c) || c == '/' && i + 2 < s.length() && Character.isLetter(s.charAt(i + 2));
  }

  private static String collapse(String s) {
    return s.replaceAll("\\s+", " ");
  }

  private static int indexOrEnd(String s, char c, int from) {
    int at = s.indexOf(c, from);
    return at < 0 ? s.length() : at + 1;
  }

  private static int indexOfIgnoreCase(String s, String what, int from) {
    for (int i = from; i <= s.length() - what.length(); i++) {
      if (s.regionMatches(true, i, what, 0, what.length())) {
        return i;
      }
    }
    return s.length();
  }

  /** One start or end tag, parsed. */
  private static final class Tag {
    String name;
    boolean closing;
    boolean selfClosing;
    final List<String[]> attributes = new ArrayList<>(); // {name, value or null}
    int end;

    static Tag parse(String s, int start) {
      Tag t = new Tag();
      int i = start + 1;
      if (s.charAt(i) == '/') {
        t.closing = true;
        i++;
      }
      int nameStart = i;
      while (i < s.length() && !Character.isWhitespace(s.charAt(i)) && s.charAt(i) != '>' && s.charAt(i) != '/') {
        i++;
      }
      t.name = s.substring(nameStart, i).toLowerCase(Locale.ROOT);
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c == '>') {
          i++;
          break;
        }
        if (Character.isWhitespace(c)) {
          i++;
        } else if (c == '/') {
          t.selfClosing = true;
          i++;
        } else {
          i = t.parseAttribute(s, i);
        }
      }
      t.end = i;
      return t;
    }

    /** Parses {@code name}, {@code name=value} or {@code name="value"} at {@code i}; returns where it ends. */
    private int parseAttribute(String s, int i) {
      int start = i;
      while (i < s.length() && !Character.isWhitespace(s.charAt(i)) && "=>/".indexOf(s.charAt(i)) < 0) {
        i++;
      }
      String attr = s.substring(start, Math.max(i, start + 1)).toLowerCase(Locale.ROOT);
      i = Math.max(i, start + 1);
      int j = skipWhitespace(s, i);
      if (j >= s.length() || s.charAt(j) != '=') {
        attributes.add(new String[] {attr, null});
        return i;
      }
      j = skipWhitespace(s, j + 1);
      String value;
      if (j < s.length() && (s.charAt(j) == '"' || s.charAt(j) == '\'')) {
        int close = s.indexOf(s.charAt(j), j + 1);
        close = close < 0 ? s.length() : close;
        value = s.substring(j + 1, close);
        j = Math.min(close + 1, s.length());
      } else {
        int valueStart = j;
        while (j < s.length() && !Character.isWhitespace(s.charAt(j)) && s.charAt(j) != '>') {
          j++;
        }
        value = s.substring(valueStart, j);
      }
      attributes.add(new String[] {attr, value});
      return j;
    }

    private static int skipWhitespace(String s, int i) {
      while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
        i++;
      }
      return i;
    }

    String render(UnaryOperator<String> links) {
      StringBuilder b = new StringBuilder().append('<');
      if (closing) {
        b.append('/');
      }
      b.append(name);
      for (String[] a : attributes) {
        b.append(' ').append(a[0]);
        if (a[1] != null) {
          String value = LINK_ATTRIBUTES.contains(a[0]) ? links.apply(a[1]) : a[1];
          b.append('=').append(quote(value));
        }
      }
      if (selfClosing && !VOID.contains(name)) {
        b.append('/');
      }
      return b.append('>').toString();
    }

    private static String quote(String value) {
      if (value.indexOf('"') < 0) {
        return '"' + value + '"';
      }
      if (value.indexOf('\'') < 0) {
        return '\'' + value + '\'';
      }
      return '"' + value.replace("\"", "&quot;") + '"';
    }
  }
}
