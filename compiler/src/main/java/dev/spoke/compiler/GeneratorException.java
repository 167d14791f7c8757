package dev.spoke.compiler;

/**
 * Input the generator cannot turn into correct code. Its message goes to protoc as {@code
 * CodeGeneratorResponse.error}, which protoc prints to the user: it names the file and the reason, and
 * says what to change when there is something to change.
 */
final class GeneratorException extends Exception {
  private static final long serialVersionUID = 1L;

  GeneratorException(String message) {
    super(message);
  }
}
