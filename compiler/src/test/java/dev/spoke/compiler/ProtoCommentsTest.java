package dev.spoke.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ProtoCommentsTest {

  @Test
  void escapingDefusesEverythingThatWouldBreakJavadocOrJavac() {
    assertEquals("a *&#47; b", ProtoComments.escape("a */ b"));
    assertEquals("a /&#42; b", ProtoComments.escape("a /* b"));
    assertEquals("/&#42;&#47;", ProtoComments.escape("/*/"));
    assertEquals("&#64;deprecated {&#64;code x}", ProtoComments.escape("@deprecated {@code x}"));
    assertEquals("&lt;b&gt; &amp;amp;", ProtoComments.escape("<b> &amp;"));
    assertEquals("&#92;u002a/", ProtoComments.escape("\\u002a/"));
    assertEquals("tab\tand bell ", ProtoComments.escape("tab\tand bell\u0007"));
    assertEquals("café 日本語", ProtoComments.escape("café 日本語"));
    assertEquals("a * b / c", ProtoComments.escape("a * b / c"));
  }

  @Test
  void preformattedDropsTheSpaceAfterSlashesAndBlankEdges() {
    assertEquals("<pre>\nOne.\n  Two, indented.\n\nThree.\n</pre>\n",
        ProtoComments.preformatted("\n One.\n   Two, indented.  \n\n Three.\n\n"));
    assertEquals("<pre>\nWindows lines.\n</pre>\n", ProtoComments.preformatted(" Windows lines.\r\n"));
    assertEquals("", ProtoComments.preformatted(" \n  \n"));
    assertEquals("", ProtoComments.preformatted(""));
  }

  @Test
  void commentsComeFromTheSourceInfoOfTheCorpus() {
    ProtoComments comments = new ProtoComments(Corpus.file("spoke/golden/comments.proto"));
    String service = comments.service(0);
    assertTrue(service.startsWith("<pre>\nComments with everything that could break Javadoc: *&#47; ends"), service);
    assertTrue(service.contains("\n/ like this one, or be empty:\n\n    Indentation is kept"), service);
    assertFalse(service.contains("*/"), service);
    assertFalse(service.contains("@"), service);
    assertFalse(service.contains("\\"), service);

    assertEquals("<pre>\nA leading comment, with *&#47; and &#64;see.\n</pre>\n", comments.method(0, 0));
    assertEquals("<pre>\nA trailing comment only: &lt;T&gt; &amp; &#64;return.\n</pre>\n", comments.method(0, 1));
    // protoc itself strips the indentation of a block comment's lines.
    assertEquals("<pre>\nA block comment on an rpc,\nspread over lines.\n</pre>\n", comments.method(0, 2));
    assertEquals("", comments.method(0, 3));
    assertEquals("", comments.service(1), "no such service");
  }
}
