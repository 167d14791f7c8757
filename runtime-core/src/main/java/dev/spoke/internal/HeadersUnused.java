package dev.spoke.internal;

/**
 * Marks a {@link dev.spoke.ServerCallHandler} that never looks at the headers {@code startCall} is
 * given (the handlers {@code ServerCalls} makes: they read headers, if at all, from the call's
 * context). A call without request headers then passes such a handler a shared empty set instead of
 * making one: a call without interceptors allocates nothing for them.
 */
public interface HeadersUnused {}
