package dev.spoke.compiler;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The plugin parameter protoc passes (from {@code --spoke_out=PARAMS:DIR} or {@code --spoke_opt=PARAMS},
 * the ascopes Maven plugin's {@code <options>}): a comma-separated list of names. Unknown names are an
 * error that lists the valid ones, so a typo never silently changes the output.
 *
 * @param lite generate for the protobuf-javalite runtime: no protobuf descriptor is attached to the
 *     service descriptor (lite messages have none). Implied for files with {@code optimize_for =
 *     LITE_RUNTIME}; needed when the messages come from {@code --java_out=lite:...}.
 */
record GeneratorParameters(boolean lite) {

  /** The parameter names this generator accepts, with what each does; the order of the error message. */
  static final Map<String, String> VALID = validParameters();

  private static Map<String, String> validParameters() {
    Map<String, String> valid = new LinkedHashMap<>();
    valid.put("lite", "generate for protobuf-javalite messages (no protobuf descriptor in the service descriptor)");
    return valid;
  }

  /**
   * Parses protoc's parameter string; empty entries (as from a trailing comma) are ignored.
   *
   * @throws GeneratorException naming the first parameter it does not know, with the list of valid ones
   */
  static GeneratorParameters parse(String parameter) throws GeneratorException {
    boolean lite = false;
    for (String entry : parameter.split(",", -1)) {
      String name = entry.strip();
      if (name.isEmpty()) {
        continue;
      }
      if (name.contains("=")) {
        String key = name.substring(0, name.indexOf('=')).strip();
        if (VALID.containsKey(key)) {
          throw new GeneratorException("protoc-gen-spoke parameter '" + key + "' takes no value, but was given '"
              + name + "'; " + validList());
        }
        throw unknown(name);
      }
      if (name.equals("lite")) {
        lite = true;
      } else {
        throw unknown(name);
      }
    }
    return new GeneratorParameters(lite);
  }

  private static GeneratorException unknown(String name) {
    return new GeneratorException("unknown protoc-gen-spoke parameter '" + name + "'; " + validList());
  }

  private static String validList() {
    return "valid parameters (comma-separated): " + VALID.entrySet().stream()
        .map(e -> e.getKey() + " (" + e.getValue() + ")")
        .collect(Collectors.joining(", "));
  }
}
