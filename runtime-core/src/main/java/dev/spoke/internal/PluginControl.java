package dev.spoke.internal;

import dev.spoke.MethodDescriptor;
import dev.spoke.protobuf.ProtoMarshallers;
import dev.spoke.proto.control.ReadyRequest;
import dev.spoke.proto.control.ReadyResponse;

/**
 * The control service a host serves to each of its plugins (see control.proto). Shared by the host and
 * plugin runtimes; written by hand because it sits below the code generator in the build.
 */
public final class PluginControl {
  private PluginControl() {}

  /** The control service's full name. */
  public static final String SERVICE_NAME = "spoke.control.PluginControl";

  /** A plugin's first call: it has attached, bound its services, and is ready for calls. */
  public static final MethodDescriptor<ReadyRequest, ReadyResponse> READY =
      MethodDescriptor.newBuilder(
              ProtoMarshallers.marshaller(ReadyRequest.getDefaultInstance()),
              ProtoMarshallers.marshaller(ReadyResponse.getDefaultInstance()))
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE_NAME, "Ready"))
          .build();
}
