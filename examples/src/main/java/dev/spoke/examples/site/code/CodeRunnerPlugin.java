package dev.spoke.examples.site.code;

import dev.spoke.Status;
import dev.spoke.examples.site.api.Asset;
import dev.spoke.examples.site.api.AssetRequest;
import dev.spoke.examples.site.api.CodeRunnerSpoke;
import dev.spoke.examples.site.api.OutputLine;
import dev.spoke.examples.site.api.RunEvent;
import dev.spoke.examples.site.api.RunRequest;
import dev.spoke.examples.site.api.RunResult;
import dev.spoke.examples.site.api.SiteHostSpoke;
import dev.spoke.peer.SpokePeer;
import dev.spoke.stub.ServerCallStreamObserver;
import dev.spoke.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The code-runner plugin: serves {@code CodeRunner}. It fetches each sample from the host ({@code
 * SiteHost.ReadAsset}), runs it with {@code sh} (see {@link SampleProcess}) and streams its output.
 */
public final class CodeRunnerPlugin {

  private CodeRunnerPlugin() {}

  public static void main(String[] args) {
    SpokePeer peer = SpokePeer.attach(args);
    peer.addService(new CodeRunnerService(SiteHostSpoke.newBlockingStub(peer.hostChannel())));
    peer.serve();
  }

  /** Runs samples; each call blocks one of the plugin's worker threads for as long as its sample runs. */
  static final class CodeRunnerService extends CodeRunnerSpoke.CodeRunnerImplBase {
    private static final Logger log = LoggerFactory.getLogger(CodeRunnerService.class);
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    static final Duration MAX_TIMEOUT = Duration.ofMinutes(5);

    private final SiteHostSpoke.SiteHostBlockingStub host;

    CodeRunnerService(SiteHostSpoke.SiteHostBlockingStub host) {
      this.host = host;
    }

    @Override
    public void run(RunRequest request, StreamObserver<RunEvent> responseObserver) {
      ServerCallStreamObserver<RunEvent> response = (ServerCallStreamObserver<RunEvent>) responseObserver;
      Asset source = host.readAsset(AssetRequest.newBuilder().setPath(request.getPath()).build());
      Duration timeout = request.getTimeoutMillis() > 0 ? Duration.ofMillis(request.getTimeoutMillis()) : DEFAULT_TIMEOUT;
      if (timeout.compareTo(MAX_TIMEOUT) > 0) {
        throw Status.INVALID_ARGUMENT.withDescription("a timeout of " + timeout + " is longer than " + MAX_TIMEOUT)
            .asRuntimeException();
      }
      Path dir = null;
      try {
        dir = Files.createTempDirectory("spoke-sample-");
        Path script = dir.resolve(Path.of(request.getPath()).getFileName().toString());
        Files.write(script, source.getContent().toByteArray());
        Object sending = new Object(); // two threads read the output; one sends at a time
        SampleProcess sample = new SampleProcess(script, (stderr, text) -> {
          synchronized (sending) {
            response.onNext(RunEvent.newBuilder().setLine(OutputLine.newBuilder().setStderr(stderr).setText(text)).build());
          }
        });
        response.setOnCancelHandler(sample::cancel); // also makes onNext after a cancellation a no-op
        if (!sample.start()) {
          return; // cancelled before it started: nobody is listening
        }
        SampleProcess.Result r = sample.await(timeout);
        if (r.cancelled) {
          log.info("{}: the call was cancelled; killed {} processes", request.getPath(), r.processesKilled);
          return;
        }
        synchronized (sending) {
          response.onNext(RunEvent.newBuilder().setResult(RunResult.newBuilder()
              .setExitStatus(r.exitStatus)
              .setTimedOut(r.timedOut)
              .setProcessesKilled(r.processesKilled)
              .setDurationMillis(r.durationMillis)
              .setCommand(sample.command())).build());
          response.onCompleted();
        }
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("could not run " + request.getPath() + ": " + e.getMessage()).asRuntimeException();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
      } finally {
        deleteTree(dir);
      }
    }

    private static void deleteTree(Path dir) {
      if (dir == null) {
        return;
      }
      try (Stream<Path> paths = Files.walk(dir)) {
        paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        log.debug("could not delete {}: {}", dir, e.toString());
      }
    }
  }
}
