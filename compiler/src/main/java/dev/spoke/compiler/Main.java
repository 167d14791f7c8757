package dev.spoke.compiler;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.compiler.PluginProtos.CodeGeneratorRequest;
import com.google.protobuf.compiler.PluginProtos.CodeGeneratorResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;

/**
 * {@code protoc-gen-spoke}, the protoc plugin: reads a {@code CodeGeneratorRequest} from stdin and writes
 * a {@code CodeGeneratorResponse} to stdout.
 *
 * <p>stdout is the protocol channel, so nothing else is ever written to it: problems with the {@code
 * .proto} input travel in the response's {@code error} (protoc prints it and fails) and the exit code
 * stays 0, as protoc expects. Only input that is not a request at all (the program was run by hand) is
 * reported on stderr, with exit code 1.
 *
 * <p>Run with {@code --version} or {@code --help} (protoc never passes arguments), it prints those
 * instead.
 */
public final class Main {

  private Main() {}

  /** protoc's entry point: reads a CodeGeneratorRequest on stdin, writes the response on stdout; {@code --version} and {@code --help} answer on the command line. */
  public static void main(String[] args) {
    System.exit(run(args, System.in, System.out, System.err));
  }

  /**
   * Runs the plugin on the given streams and returns the process exit code: 0 when a response was
   * written (including a response that reports an error), 1 when stdin held no request or stdout could
   * not be written, 2 for unknown command-line arguments.
   */
  static int run(String[] args, InputStream in, OutputStream out, PrintStream err) {
    if (args.length > 0) {
      try {
        return commandLine(args, out, err);
      } catch (IllegalStateException e) {
        err.println("protoc-gen-spoke is broken: " + e.getMessage());
        return 1;
      }
    }
    CodeGeneratorRequest request;
    try {
      request = CodeGeneratorRequest.parseFrom(in.readAllBytes());
    } catch (InvalidProtocolBufferException e) {
      err.println("protoc-gen-spoke: stdin does not hold a CodeGeneratorRequest (" + e.getMessage() + "). "
          + "This program is a protoc plugin; run it through protoc: protoc --plugin=protoc-gen-spoke=PATH "
          + "--spoke_out=DIR file.proto");
      return 1;
    } catch (IOException e) {
      err.println("protoc-gen-spoke: cannot read stdin: " + e);
      return 1;
    }
    CodeGeneratorResponse response;
    try {
      response = new SpokeGenerator(Version.current()).generate(request);
    } catch (IllegalStateException e) {
      // The jar was built without its version resource: report it where protoc shows it.
      response = CodeGeneratorResponse.newBuilder().setError("protoc-gen-spoke is broken: " + e.getMessage()).build();
    }
    try {
      response.writeTo(out);
      out.flush();
      return 0;
    } catch (IOException e) {
      err.println("protoc-gen-spoke: cannot write the response to stdout: " + e);
      return 1;
    }
  }

  private static int commandLine(String[] args, OutputStream out, PrintStream err) {
    PrintStream print = new PrintStream(out, true);
    if (args.length == 1 && args[0].equals("--version")) {
      print.println("protoc-gen-spoke " + Version.current());
      return 0;
    }
    if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
      print.println("protoc-gen-spoke " + Version.current() + ": generates Spoke service stubs as a protoc plugin.");
      print.println("Usage: protoc --plugin=protoc-gen-spoke=PATH --spoke_out=DIR [--spoke_opt=lite] FILE.proto...");
      print.println("Parameters (--spoke_opt, comma-separated):");
      GeneratorParameters.VALID.forEach((name, what) -> print.println("  " + name + "  " + what));
      return 0;
    }
    err.println("protoc-gen-spoke: unknown arguments " + String.join(" ", args)
        + "; it takes none when protoc runs it, or --version, or --help");
    return 2;
  }
}
