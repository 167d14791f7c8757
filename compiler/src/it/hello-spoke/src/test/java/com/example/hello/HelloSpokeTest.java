package com.example.hello;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import com.google.protobuf.Descriptors;
import org.junit.jupiter.api.Test;

class HelloSpokeTest {

  @Test
  void theGeneratedStubCallsTheServiceOverTheInMemoryTransport() {
    assertEquals("Hello, Ada", HelloSpoke.greet("Ada"));
  }

  @Test
  void theGeneratedDescriptorsDescribeTheService() {
    assertEquals("hello.Greeter/SayHello", GreeterSpoke.getSayHelloMethod().getFullMethodName());
    Descriptors.ServiceDescriptor schema =
        (Descriptors.ServiceDescriptor) GreeterSpoke.getServiceDescriptor().getSchemaDescriptor();
    assertNotNull(schema.findMethodByName("SayHello"));
  }
}
