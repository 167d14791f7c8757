/**
 * Spoke over gRPC-java: the same service implementations and generated stubs over standard gRPC (HTTP/2,
 * Netty), for clients and servers of any kind and for plugins on other machines.
 *
 * <ul>
 *   <li>{@link dev.spoke.grpc.GrpcServices}: a Spoke service as a gRPC-java service definition, for any
 *       gRPC-java server; {@link dev.spoke.grpc.GrpcServer}: a Netty server of Spoke services with the
 *       health service.
 *   <li>{@link dev.spoke.grpc.GrpcChannel}: a Spoke channel over any gRPC-java channel, for Spoke's stubs.
 *   <li>{@link dev.spoke.grpc.GrpcConnector}: how a host reaches its remote plugins
 *       ({@code PluginSpec.remote}); a plugin started with {@code --listen} serves over gRPC through this
 *       module too (found by {@link java.util.ServiceLoader}).
 *   <li>{@link dev.spoke.grpc.BearerToken}: a shared secret checked on every call.
 * </ul>
 *
 * <p>docs/GRPC.md says when to use the hub and when gRPC, and how everything maps.
 */
package dev.spoke.grpc;
