package dev.spoke.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors;
import dev.spoke.BindableService;
import dev.spoke.MethodDescriptor;
import dev.spoke.MethodDescriptor.MethodType;
import dev.spoke.ServiceDescriptor;
import dev.spoke.golden.deprecation.CurrentSpoke;
import dev.spoke.golden.deprecation.LegacySpoke;
import dev.spoke.golden.deprecation.OldRequest;
import dev.spoke.golden.deprecation.Reply;
import dev.spoke.golden.greeter.GreeterSpoke;
import dev.spoke.golden.greeter.HelloRequest;
import dev.spoke.golden.lite.CounterSpoke;
import dev.spoke.golden.wkt.ClockSpoke;
import dev.spoke.stub.AbstractAsyncStub;
import dev.spoke.stub.AbstractBlockingStub;
import dev.spoke.stub.AbstractFutureStub;
import dev.spoke.stub.StreamObserver;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The surface of the generated classes, as their users and the runtime see it. */
class GeneratedApiTest {

  @Test
  void methodDescriptorsDescribeTheRpcs() {
    assertEquals("spoke.golden.greeter.Greeter", GreeterSpoke.SERVICE_NAME);
    assertDescriptor(GreeterSpoke.getSayHelloMethod(), "SayHello", MethodType.UNARY);
    assertDescriptor(GreeterSpoke.getListGreetingsMethod(), "ListGreetings", MethodType.SERVER_STREAMING);
    assertDescriptor(GreeterSpoke.getGreetAllMethod(), "GreetAll", MethodType.CLIENT_STREAMING);
    assertDescriptor(GreeterSpoke.getChatMethod(), "Chat", MethodType.BIDI_STREAMING);
    // Built once, then shared.
    assertSame(GreeterSpoke.getSayHelloMethod(), GreeterSpoke.getSayHelloMethod());
    assertSame(GreeterSpoke.getServiceDescriptor(), GreeterSpoke.getServiceDescriptor());
  }

  private static void assertDescriptor(MethodDescriptor<?, ?> method, String name, MethodType type) {
    assertEquals(GreeterSpoke.SERVICE_NAME + "/" + name, method.getFullMethodName());
    assertEquals(type, method.getType());
  }

  @Test
  void theServiceDescriptorListsTheRpcsAndCarriesTheProtobufDescriptor() {
    ServiceDescriptor service = GreeterSpoke.getServiceDescriptor();
    assertEquals(GreeterSpoke.SERVICE_NAME, service.getName());
    assertEquals(List.of(GreeterSpoke.getSayHelloMethod(), GreeterSpoke.getListGreetingsMethod(),
        GreeterSpoke.getGreetAllMethod(), GreeterSpoke.getChatMethod()), List.copyOf(service.getMethods()));
    Descriptors.ServiceDescriptor schema =
        assertInstanceOf(Descriptors.ServiceDescriptor.class, service.getSchemaDescriptor());
    assertEquals(GreeterSpoke.SERVICE_NAME, schema.getFullName());
    assertEquals(List.of("SayHello", "ListGreetings", "GreetAll", "Chat"),
        schema.getMethods().stream().map(Descriptors.MethodDescriptor::getName).toList());

    // Well-known types: the schema descriptor resolves messages from com.google.protobuf.
    Descriptors.ServiceDescriptor clock =
        assertInstanceOf(Descriptors.ServiceDescriptor.class, ClockSpoke.getServiceDescriptor().getSchemaDescriptor());
    assertEquals("google.protobuf.Timestamp", clock.findMethodByName("Now").getOutputType().getFullName());
  }

  @Test
  void aLiteServiceHasNoSchemaDescriptor() {
    assertNull(CounterSpoke.getServiceDescriptor().getSchemaDescriptor());
    assertEquals(List.of(CounterSpoke.getIncrementMethod()), List.copyOf(CounterSpoke.getServiceDescriptor().getMethods()));
  }

  @Test
  void bindServiceCoversEveryRpc() {
    var definition = new GreeterSpoke.GreeterImplBase() {}.bindService();
    assertSame(GreeterSpoke.getServiceDescriptor(), definition.getServiceDescriptor());
    for (MethodDescriptor<?, ?> method : GreeterSpoke.getServiceDescriptor().getMethods()) {
      assertNotNull(definition.getMethod(method.getFullMethodName()), method.getFullMethodName());
    }
  }

  @Test
  void stubsAndServerBasesHaveGrpcJavasShape() throws Exception {
    assertTrue(Modifier.isFinal(GreeterSpoke.class.getModifiers()));
    assertTrue(AbstractAsyncStub.class.isAssignableFrom(GreeterSpoke.GreeterStub.class));
    assertTrue(AbstractBlockingStub.class.isAssignableFrom(GreeterSpoke.GreeterBlockingStub.class));
    assertTrue(Modifier.isAbstract(GreeterSpoke.GreeterImplBase.class.getModifiers()));
    assertTrue(GreeterSpoke.AsyncService.class.isAssignableFrom(GreeterSpoke.GreeterImplBase.class));
    assertTrue(BindableService.class.isAssignableFrom(GreeterSpoke.GreeterImplBase.class));
    for (Method method : GreeterSpoke.AsyncService.class.getDeclaredMethods()) {
      assertTrue(method.isDefault(), method + " has a default that answers UNIMPLEMENTED");
    }
    // The blocking stub offers unary and server streaming only, as gRPC-java's.
    List<String> blocking = Arrays.stream(GreeterSpoke.GreeterBlockingStub.class.getDeclaredMethods())
        .filter(m -> Modifier.isPublic(m.getModifiers())).map(Method::getName).sorted().toList();
    assertEquals(List.of("listGreetings", "sayHello"), blocking);
    // The future stub offers unary rpcs only, as gRPC-java's, returning CompletableFutures.
    assertTrue(AbstractFutureStub.class.isAssignableFrom(GreeterSpoke.GreeterFutureStub.class));
    List<Method> future = Arrays.stream(GreeterSpoke.GreeterFutureStub.class.getDeclaredMethods())
        .filter(m -> Modifier.isPublic(m.getModifiers())).toList();
    assertEquals(1, future.size(), future::toString);
    assertEquals("sayHello", future.get(0).getName());
    assertEquals(CompletableFuture.class, future.get(0).getReturnType());
    // The async stub takes gRPC-java's (request, observer) for a unary rpc, and keeps the future form.
    assertEquals(void.class, GreeterSpoke.GreeterStub.class.getMethod("sayHello", HelloRequest.class, StreamObserver.class)
        .getReturnType());
    assertEquals(CompletableFuture.class, GreeterSpoke.GreeterStub.class.getMethod("sayHello", HelloRequest.class)
        .getReturnType());
    // The dispatch class stays private.
    Class<?> handlers = Class.forName(GreeterSpoke.class.getName() + "$MethodHandlers");
    assertTrue(Modifier.isPrivate(handlers.getModifiers()));
  }

  @Test
  @SuppressWarnings("deprecation")
  void deprecatedServicesAndRpcsAreDeprecatedInJava() throws Exception {
    assertTrue(LegacySpoke.class.isAnnotationPresent(Deprecated.class));
    assertFalse(CurrentSpoke.class.isAnnotationPresent(Deprecated.class));

    assertDeprecated(true, CurrentSpoke.class.getMethod("getFetchOldMethod"));
    assertDeprecated(false, CurrentSpoke.class.getMethod("getFetchMethod"));
    assertDeprecated(true, CurrentSpoke.CurrentStub.class.getMethod("fetchOld", OldRequest.class, StreamObserver.class));
    assertDeprecated(true, CurrentSpoke.CurrentBlockingStub.class.getMethod("fetchOld", OldRequest.class));
    assertDeprecated(true, CurrentSpoke.AsyncService.class.getMethod("fetchOld", OldRequest.class, StreamObserver.class));
    assertDeprecated(false, CurrentSpoke.CurrentStub.class.getMethod("fetch", Reply.class));
    assertDeprecated(false, CurrentSpoke.CurrentBlockingStub.class.getMethod("fetch", Reply.class));
    assertDeprecated(false, CurrentSpoke.AsyncService.class.getMethod("fetch", Reply.class, StreamObserver.class));
  }

  private static void assertDeprecated(boolean expected, Method method) {
    assertEquals(expected, method.isAnnotationPresent(Deprecated.class), method.toString());
  }

  @Test
  void aFileWithoutPackageGeneratesIntoTheUnnamedPackage() throws Exception {
    Class<?> anonymous = Class.forName("AnonymousSpoke");
    assertEquals("", anonymous.getPackageName());
    assertEquals("Anonymous", anonymous.getField("SERVICE_NAME").get(null));
  }
}
