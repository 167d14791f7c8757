package dev.spoke;

/** A service implementation that can describe itself for serving; generated {@code ImplBase}s are. */
public interface BindableService {
  ServerServiceDefinition bindService();
}
