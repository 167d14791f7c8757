package dev.spoke.examples.site.minify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class CssMinifierTest {

  private static final UnaryOperator<String> SAME = href -> href;

  @Test
  void dropsCommentsWhitespaceAndTheLastSemicolon() {
    assertEquals("h1,h2{margin:1.5em 0 0.5em;color:red}a:hover{color:blue}",
        CssMinifier.minify("/* head */\nh1 ,\nh2 {\n  margin: 1.5em 0 0.5em;\n  color: red;\n}\n\na:hover { color: blue; }\n", SAME));
  }

  @Test
  void keepsTheSpacesThatMatter() {
    assertEquals("@media (max-width:600px){.a .b{x:1}}", CssMinifier.minify("@media (max-width: 600px) {\n  .a  .b { x: 1; }\n}", SAME));
    assertEquals("a{width:calc(100% - 2rem)}", CssMinifier.minify("a { width: calc(100% - 2rem); }", SAME));
    assertEquals(".a :hover{x:1}", CssMinifier.minify(".a :hover { x: 1 }", SAME));
  }

  @Test
  void keepsStringsAsWritten() {
    assertEquals("a{content:\"a  /* b */  c\";font:12px \"Segoe UI\"}",
        CssMinifier.minify("a { content: \"a  /* b */  c\"; font: 12px  \"Segoe UI\"; }", SAME));
  }

  @Test
  void rewritesUrls() {
    assertEquals("a{background:#fff url(X/img.png) repeat}b{background:url(\"X/my image.png\")}",
        CssMinifier.minify("a { background: #fff url( 'img.png' ) repeat; }\nb { background: url(\"my image.png\"); }",
            href -> "X/" + href));
  }
}
