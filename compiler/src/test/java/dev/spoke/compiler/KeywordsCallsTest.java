package dev.spoke.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.spoke.Status;
import dev.spoke.StatusRuntimeException;
import dev.spoke.golden.keywords.KeywordsSpoke;
import dev.spoke.golden.keywords.KeywordsSpoke.KeywordsBlockingStub;
import dev.spoke.golden.keywords.KeywordsSpoke.KeywordsStub;
import dev.spoke.golden.keywords.Word;
import dev.spoke.stub.BlockingResponseStream;
import dev.spoke.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * rpcs named like Java keywords and {@code Object} methods, called for real: the mangled Java names
 * (a trailing underscore) reach the right rpc on the wire, whose name stays the .proto's.
 */
class KeywordsCallsTest {

  /** Answers each rpc with its own name, so a call that reached the wrong handler shows. */
  static final class Keywords extends KeywordsSpoke.KeywordsImplBase {
    @Override
    public void default_(Word request, StreamObserver<Word> responseObserver) {
      reply(responseObserver, "Default:" + request.getText());
    }

    @Override
    public void class_(Word request, StreamObserver<Word> responseObserver) {
      responseObserver.onNext(word("Class:1"));
      responseObserver.onNext(word("Class:2"));
      responseObserver.onCompleted();
    }

    @Override
    public StreamObserver<Word> import_(StreamObserver<Word> responseObserver) {
      return collectThen(words -> reply(responseObserver, "Import:" + String.join(",", words)));
    }

    @Override
    public StreamObserver<Word> switch_(StreamObserver<Word> responseObserver) {
      return echo("Switch:", responseObserver);
    }

    @Override
    public void getClass_(Word request, StreamObserver<Word> responseObserver) {
      reply(responseObserver, "GetClass:" + request.getText());
    }

    @Override
    public void toString_(Word request, StreamObserver<Word> responseObserver) {
      reply(responseObserver, "ToString:" + request.getText());
    }

    @Override
    public void hashCode_(Word request, StreamObserver<Word> responseObserver) {
      responseObserver.onNext(word("HashCode:" + request.getText()));
      responseObserver.onCompleted();
    }

    @Override
    public StreamObserver<Word> wait_(StreamObserver<Word> responseObserver) {
      return collectThen(words -> reply(responseObserver, "Wait:" + words.size()));
    }

    @Override
    public StreamObserver<Word> notify_(StreamObserver<Word> responseObserver) {
      return echo("Notify:", responseObserver);
    }

    @Override
    public void getURL(Word request, StreamObserver<Word> responseObserver) {
      reply(responseObserver, "GetURL:" + request.getText());
    }

    @Override
    public void getDefaultMethod(Word request, StreamObserver<Word> responseObserver) {
      reply(responseObserver, "GetDefaultMethod:" + request.getText());
    }

    @Override
    public void bindService(Word request, StreamObserver<Word> responseObserver) {
      reply(responseObserver, "BindService:" + request.getText());
    }
  }

  @Test
  void keywordAndObjectMethodRpcsReachTheirHandlersInEveryShape() throws Exception {
    try (InMemoryLoopback loopback = new InMemoryLoopback(new Keywords())) {
      KeywordsBlockingStub blocking = KeywordsSpoke.newBlockingStub(loopback.channel());
      KeywordsStub async = KeywordsSpoke.newStub(loopback.channel());

      // Unary: keyword, Object method, names easy to get wrong.
      assertEquals("Default:a", blocking.default_(word("a")).getText());
      assertEquals("GetClass:b", blocking.getClass_(word("b")).getText());
      assertEquals("ToString:c", async.toString_(word("c")).get(30, TimeUnit.SECONDS).getText());
      assertEquals("GetURL:d", blocking.getURL(word("d")).getText());
      assertEquals("GetDefaultMethod:e", blocking.getDefaultMethod(word("e")).getText());
      assertEquals("BindService:f", blocking.bindService(word("f")).getText());

      // Server streaming.
      assertEquals(List.of("Class:1", "Class:2"), texts(blocking.class_(word("x"))));
      assertEquals(List.of("HashCode:y"), texts(blocking.hashCode_(word("y"))));

      // Client streaming.
      GreeterCallsTest.Recorder<Word> imported = new GreeterCallsTest.Recorder<>();
      StreamObserver<Word> importRequests = async.import_(imported);
      importRequests.onNext(word("p"));
      importRequests.onNext(word("q"));
      importRequests.onCompleted();
      assertEquals(List.of("Import:p,q"), texts(imported.await()));

      GreeterCallsTest.Recorder<Word> waited = new GreeterCallsTest.Recorder<>();
      StreamObserver<Word> waitRequests = async.wait_(waited);
      waitRequests.onNext(word("1"));
      waitRequests.onCompleted();
      assertEquals(List.of("Wait:1"), texts(waited.await()));

      // Bidirectional streaming.
      GreeterCallsTest.Recorder<Word> switched = new GreeterCallsTest.Recorder<>();
      StreamObserver<Word> switchRequests = async.switch_(switched);
      switchRequests.onNext(word("on"));
      switchRequests.onNext(word("off"));
      switchRequests.onCompleted();
      assertEquals(List.of("Switch:on", "Switch:off"), texts(switched.await()));

      GreeterCallsTest.Recorder<Word> notified = new GreeterCallsTest.Recorder<>();
      StreamObserver<Word> notifyRequests = async.notify_(notified);
      notifyRequests.onNext(word("n"));
      notifyRequests.onCompleted();
      assertEquals(List.of("Notify:n"), texts(notified.await()));
    }
  }

  @Test
  void mangledRpcsKeepTheirProtoNamesOnTheWire() throws Exception {
    assertEquals("spoke.golden.keywords.Keywords/Default", KeywordsSpoke.getDefaultMethod().getFullMethodName());
    assertEquals("spoke.golden.keywords.Keywords/GetClass", KeywordsSpoke.getGetClassMethod().getFullMethodName());
    assertEquals("spoke.golden.keywords.Keywords/GetDefaultMethod",
        KeywordsSpoke.getGetDefaultMethodMethod().getFullMethodName());
    assertEquals("spoke.golden.keywords.Keywords/list_all_words",
        KeywordsSpoke.getListAllWordsMethod().getFullMethodName());
    // Not overridden: the rpc exists, and answers UNIMPLEMENTED under its proto name.
    try (InMemoryLoopback loopback = new InMemoryLoopback(new Keywords())) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
          () -> KeywordsSpoke.newBlockingStub(loopback.channel()).null_(word("z")));
      assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode());
      assertEquals("method spoke.golden.keywords.Keywords/Null is not implemented", e.getStatus().getDescription());
    }
  }

  private static Word word(String text) {
    return Word.newBuilder().setText(text).build();
  }

  private static void reply(StreamObserver<Word> observer, String text) {
    observer.onNext(word(text));
    observer.onCompleted();
  }

  private static List<String> texts(BlockingResponseStream<Word> stream) {
    List<String> texts = new ArrayList<>();
    try (stream) {
      stream.forEachRemaining(w -> texts.add(w.getText()));
    }
    return texts;
  }

  private static List<String> texts(List<Word> words) {
    return words.stream().map(Word::getText).toList();
  }

  private static StreamObserver<Word> collectThen(java.util.function.Consumer<List<String>> then) {
    return new StreamObserver<>() {
      private final List<String> words = new ArrayList<>();

      @Override
      public void onNext(Word value) {
        words.add(value.getText());
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        then.accept(words);
      }
    };
  }

  private static StreamObserver<Word> echo(String prefix, StreamObserver<Word> responseObserver) {
    return new StreamObserver<>() {
      @Override
      public void onNext(Word value) {
        responseObserver.onNext(word(prefix + value.getText()));
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        responseObserver.onCompleted();
      }
    };
  }
}
