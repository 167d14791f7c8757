package dev.spoke.compiler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GeneratorParametersTest {

  @Test
  void noParameterMeansTheFullRuntime() throws GeneratorException {
    assertFalse(GeneratorParameters.parse("").lite());
    assertFalse(GeneratorParameters.parse(" , ").lite());
  }

  @Test
  void liteIsAccepted() throws GeneratorException {
    assertTrue(GeneratorParameters.parse("lite").lite());
    assertTrue(GeneratorParameters.parse(" lite ,").lite());
  }

  @Test
  void anUnknownParameterIsAnErrorListingTheValidOnes() {
    GeneratorException e = assertThrows(GeneratorException.class, () -> GeneratorParameters.parse("lite,grpc"));
    assertEquals("unknown protoc-gen-spoke parameter 'grpc'; valid parameters (comma-separated): lite (generate for "
        + "protobuf-javalite messages (no protobuf descriptor in the service descriptor))", e.getMessage());
    e = assertThrows(GeneratorException.class, () -> GeneratorParameters.parse("jakarta=true"));
    assertTrue(e.getMessage().startsWith("unknown protoc-gen-spoke parameter 'jakarta=true'; valid parameters"),
        e.getMessage());
  }

  @Test
  void liteTakesNoValue() {
    GeneratorException e = assertThrows(GeneratorException.class, () -> GeneratorParameters.parse("lite=false"));
    assertTrue(e.getMessage().startsWith("protoc-gen-spoke parameter 'lite' takes no value, but was given 'lite=false'"),
        e.getMessage());
  }
}
