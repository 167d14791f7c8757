/**
 * {@code protoc-gen-spoke}, the protoc plugin that generates Spoke service stubs.
 *
 * <p>{@link dev.spoke.compiler.Main} speaks protoc's plugin protocol on stdin and stdout; {@link
 * dev.spoke.compiler.SpokeGenerator} is the generator as a function from request to response. Inside:
 * {@code JavaNames} names things as protoc's Java generator and gRPC-java do, {@code MessageIndex} finds
 * the class of every message a request can refer to, {@code ProtoComments} turns comments into safe
 * Javadoc, and {@code ServiceGenerator} lays out {@code <Service>Spoke.java} with JavaPoet.
 *
 * <p>This package never links the runtime: the generated code names runtime types, it does not use
 * them here.
 */
package dev.spoke.compiler;
