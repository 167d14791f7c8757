package dev.spoke.host;

import dev.spoke.MethodDescriptor;
import dev.spoke.internal.CallInFlight;
import dev.spoke.internal.Connection;
import dev.spoke.proto.control.ReadyRequest;
import dev.spoke.shm.HubHost;
import dev.spoke.shm.HubInspection;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes what {@code spoke-inspect} shows beyond the hub's own bytes, into the hub's inspection
 * region: the names of the methods the host and each plugin serve (so the method ids descriptors carry
 * can be named), and, once a second, every plugin's calls in flight with their age and deadline.
 *
 * <p>A plugin's method names come from its READY request: a plugin that lies harms only its own
 * entry's names. The host keeps those of services the plugin declared, at most {@value #MAX_NAMES},
 * printable and at most {@value #MAX_NAME_LENGTH} characters long, and computes their ids itself.
 *
 * <p>Thread-safe. Runs on a thread of its own, which does nothing else.
 */
final class InspectionPublisher {

  private static final Logger log = LoggerFactory.getLogger(InspectionPublisher.class);

  /** How often calls in flight are published. */
  static final long PERIOD_MILLIS = 1000;
  /** The most method names a plugin's READY contributes. */
  static final int MAX_NAMES = 512;
  /** The longest method name taken from a plugin. */
  static final int MAX_NAME_LENGTH = 512;

  private final HubInspection inspection;
  private final Supplier<List<Plugin>> plugins;
  private final Thread thread;
  private volatile boolean stopped;

  InspectionPublisher(HubInspection inspection, Supplier<List<Plugin>> plugins) {
    this.inspection = inspection;
    this.plugins = plugins;
    this.thread = new Thread(this::run, "spoke-host-inspection");
    this.thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Stops publishing; waits (at most a second) for the thread to end. */
  void stop() {
    stopped = true;
    LockSupport.unpark(thread);
    try {
      thread.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    while (!stopped) {
      for (Plugin p : plugins.get()) {
        try {
          p.publishInspection(this);
        } catch (RuntimeException e) {
          log.debug("publishing the calls of plugin '{}' for inspection failed", p.name(), e);
        }
      }
      LockSupport.parkNanos(this, TimeUnit.MILLISECONDS.toNanos(PERIOD_MILLIS));
    }
  }

  /** The names of the host's services' methods, for every plugin's calls to the host. */
  void publishHostNames(List<MethodDescriptor<?, ?>> methods) {
    Map<Integer, String> names = new LinkedHashMap<>();
    for (MethodDescriptor<?, ?> m : methods) {
      names.put(m.getMethodId(), m.getFullMethodName());
    }
    inspection.publishHostNames(names);
  }

  /** The names of a plugin's methods, from its READY request, checked (see the class comment). */
  void publishPluginNames(HubHost.Reservation reservation, ReadyRequest ready) {
    Set<String> services = new HashSet<>(ready.getServicesList());
    Map<Integer, String> names = new LinkedHashMap<>();
    for (String name : ready.getMethodsList()) {
      if (names.size() >= MAX_NAMES) {
        break;
      }
      int slash = name.indexOf('/');
      if (slash <= 0 || name.length() > MAX_NAME_LENGTH || !services.contains(name.substring(0, slash))
          || !name.chars().allMatch(c -> c > 0x20 && c < 0x7F)) {
        continue;
      }
      names.put(MethodDescriptor.methodIdOf(name), name);
    }
    inspection.publishPeerNames(reservation, names);
  }

  /** One plugin process's calls in flight, oldest first. */
  void publishCalls(HubHost.Reservation reservation, Connection connection) {
    List<CallInFlight> calls = connection.callsInFlight();
    List<HubInspection.Call> out = new ArrayList<>(calls.size());
    for (CallInFlight c : calls) {
      out.add(new HubInspection.Call(c.callId(), c.methodId(), !c.outgoing(),
          typeCode(c.type()), c.startedNanos(), c.hasDeadline(), c.deadlineNanos()));
    }
    inspection.publishCalls(reservation, out);
  }

  private static int typeCode(MethodDescriptor.MethodType type) {
    switch (type) {
      case UNARY: return 0;
      case SERVER_STREAMING: return 1;
      case CLIENT_STREAMING: return 2;
      default: return 3;
    }
  }
}
