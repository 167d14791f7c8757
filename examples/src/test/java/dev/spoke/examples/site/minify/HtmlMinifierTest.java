package dev.spoke.examples.site.minify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class HtmlMinifierTest {

  private static final UnaryOperator<String> SAME = href -> href;

  @Test
  void dropsCommentsAndWhitespaceBetweenBlocks() {
    assertEquals("<!DOCTYPE html><html><body><p>Hello, world.</p><p>Two</p></body></html>",
        HtmlMinifier.minify("<!DOCTYPE html>\n<html>\n  <!-- a comment -->\n  <body>\n    <p>\n      Hello,\n      world.\n"
            + "    </p>\n    <p>Two</p>\n  </body>\n</html>\n", SAME));
  }

  @Test
  void keepsOneSpaceAroundInlineElements() {
    assertEquals("<p>a <em>b</em> c</p>", HtmlMinifier.minify("<p>a   <em>b</em>\n   c</p>", SAME));
    assertEquals("<p><a href=\"x\"> <img src=\"i\"> Text </a></p>",
        HtmlMinifier.minify("<p><a href=\"x\">\n <img src=\"i\">\n Text\n</a></p>", SAME));
  }

  @Test
  void keepsPreAndTextareaAndScriptAsWritten() {
    String pre = "<pre>  two\n    spaces  </pre>";
    assertEquals(pre, HtmlMinifier.minify(pre, SAME));
    assertEquals("<textarea> a\n b </textarea>", HtmlMinifier.minify("<textarea> a\n b </textarea>", SAME));
    assertEquals("<script>if (a < b) { x(); }</script>", HtmlMinifier.minify("<script>\n  if (a < b) { x(); }\n</script>", SAME));
  }

  @Test
  void minifiesStyleElements() {
    assertEquals("<style>a{color:red}</style>", HtmlMinifier.minify("<style>\n  /* c */\n  a { color: red; }\n</style>", SAME));
  }

  @Test
  void writesTagsInOneFormAndRewritesLinks() {
    List<String> seen = new ArrayList<>();
    String out = HtmlMinifier.minify("<A HREF=/docs/ class = 'x  y' hidden><IMG SRC='a.png' ALT=\"say &quot;hi&quot;\"/></A>",
        href -> {
          seen.add(href);
          return "resolved/" + href;
        });
    assertEquals("<a href=\"resolved//docs/\" class=\"x  y\" hidden><img src=\"resolved/a.png\" alt=\"say &quot;hi&quot;\"></a>", out);
    assertEquals(List.of("/docs/", "a.png"), seen);
  }

  @Test
  void quotesValuesThatHoldQuotes() {
    assertEquals("<p title='say \"hi\"'>x</p>", HtmlMinifier.minify("<p title='say \"hi\"'>x</p>", SAME));
  }

  @Test
  void leavesALoneLessThanSignAsText() {
    assertEquals("<p>1 < 2</p>", HtmlMinifier.minify("<p>1  <  2</p>", SAME));
  }
}
