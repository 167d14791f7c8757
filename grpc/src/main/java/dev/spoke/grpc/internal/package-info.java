/**
 * Internal to spoke-grpc: how Spoke's calls, statuses and metadata become gRPC-java's, and the remote
 * plugin links. Not an API: it changes without notice; use {@link dev.spoke.grpc}.
 */
package dev.spoke.grpc.internal;
