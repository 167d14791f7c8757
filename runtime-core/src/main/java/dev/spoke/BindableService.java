package dev.spoke;

/** A service implementation that can describe itself for serving; generated {@code ImplBase}s are. */
public interface BindableService {
  /** The service's definition: its methods and what serves each. */
  ServerServiceDefinition bindService();
}
