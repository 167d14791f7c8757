package dev.spoke.compiler;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.ServiceDescriptorProto;
import com.google.protobuf.DescriptorProtos.SourceCodeInfo.Location;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The comments a {@code .proto} file attaches to its services and rpcs, from the file's {@code
 * SourceCodeInfo} (protoc sends it for the files to generate), turned into Javadoc that cannot break
 * the generated code.
 *
 * <p>Immutable after construction.
 */
final class ProtoComments {

  /** {@code FileDescriptorProto.service}: the path of service {@code i} is {@code [6, i]}. */
  private static final int FILE_SERVICE_FIELD = FileDescriptorProto.SERVICE_FIELD_NUMBER;
  /** {@code ServiceDescriptorProto.method}: the path of rpc {@code j} of service {@code i} is {@code [6, i, 2, j]}. */
  private static final int SERVICE_METHOD_FIELD = ServiceDescriptorProto.METHOD_FIELD_NUMBER;

  private final Map<List<Integer>, Location> locations = new HashMap<>();

  ProtoComments(FileDescriptorProto file) {
    for (Location location : file.getSourceCodeInfo().getLocationList()) {
      // A path can have several locations (e.g. a repeated option); the first carries the comments.
      locations.putIfAbsent(location.getPathList(), location);
    }
  }

  /** The Javadoc-safe comment of service {@code serviceIndex}, or "" if it has none. */
  String service(int serviceIndex) {
    return javadocOf(List.of(FILE_SERVICE_FIELD, serviceIndex));
  }

  /** The Javadoc-safe comment of rpc {@code methodIndex} of service {@code serviceIndex}, or "". */
  String method(int serviceIndex, int methodIndex) {
    return javadocOf(List.of(FILE_SERVICE_FIELD, serviceIndex, SERVICE_METHOD_FIELD, methodIndex));
  }

  private String javadocOf(List<Integer> path) {
    Location location = locations.get(path);
    if (location == null) {
      return "";
    }
    // As protoc's Java generator: the comment before the element, else the one after it.
    String text = location.hasLeadingComments() && !location.getLeadingComments().isBlank()
        ? location.getLeadingComments()
        : location.getTrailingComments();
    return preformatted(text);
  }

  /**
   * {@code comment} as a Javadoc {@code <pre>} block (proto comments are plain text, often laid out
   * with spaces), or "" for a blank comment. Each line loses the one space that follows {@code //}, and
   * trailing blanks; the text is {@linkplain #escape escaped}.
   */
  static String preformatted(String comment) {
    List<String> lines = new ArrayList<>();
    for (String line : comment.replace("\r\n", "\n").replace('\r', '\n').split("\n", -1)) {
      String trimmed = line.startsWith(" ") ? line.substring(1) : line;
      lines.add(escape(trimmed.stripTrailing()));
    }
    while (!lines.isEmpty() && lines.get(lines.size() - 1).isEmpty()) {
      lines.remove(lines.size() - 1);
    }
    while (!lines.isEmpty() && lines.get(0).isEmpty()) {
      lines.remove(0);
    }
    if (lines.isEmpty()) {
      return "";
    }
    return "<pre>\n" + String.join("\n", lines) + "\n</pre>\n";
  }

  /**
   * Makes comment text safe inside a Javadoc comment and readable as HTML: {@code *}{@code /} and
   * {@code /}{@code *} cannot end or nest the comment, {@code @} cannot start a block tag (a stray
   * {@code @deprecated} would even change how javac compiles the element), {@code <}, {@code >} and
   * {@code &} are text rather than markup, and a backslash cannot start a Unicode escape (javac
   * translates {@code \}{@code u002a} everywhere, comments included). Control characters other than
   * tab become spaces.
   */
  static String escape(String text) {
    StringBuilder out = new StringBuilder(text.length() + 16);
    char previous = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '*' -> out.append(previous == '/' ? "&#42;" : "*");
        case '/' -> out.append(previous == '*' ? "&#47;" : "/");
        case '@' -> out.append("&#64;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '&' -> out.append("&amp;");
        case '\\' -> out.append("&#92;");
        default -> out.append(c != '\t' && Character.isISOControl(c) ? ' ' : c);
      }
      previous = c;
    }
    return out.toString();
  }
}
