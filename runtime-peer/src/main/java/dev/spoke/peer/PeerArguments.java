package dev.spoke.peer;

import dev.spoke.shm.IdleStrategy;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * What a plugin needs to find its host: where the hub is, which peer entry the host reserved for it,
 * and the secret token for that entry. Read from the command line ({@code --hub-path=…}, or the value
 * as the next argument), each with an environment variable as fallback. Arguments that are not
 * Spoke's are kept, in order, for the plugin.
 *
 * <table>
 *   <caption>Launch arguments</caption>
 *   <tr><th>argument</th><th>environment</th><th></th></tr>
 *   <tr><td>{@code --hub-path}</td><td>{@code SPOKE_HUB_PATH}</td><td>the hub file (required)</td></tr>
 *   <tr><td>{@code --peer-id}</td><td>{@code SPOKE_PEER_ID}</td><td>the reserved entry (required)</td></tr>
 *   <tr><td>{@code --hub-token}</td><td>{@code SPOKE_HUB_TOKEN}</td><td>the entry's secret (required;
 *       the host passes it in the environment, where other users cannot see it)</td></tr>
 *   <tr><td>{@code --plugin-name}</td><td>{@code SPOKE_PLUGIN_NAME}</td><td>for logs and errors</td></tr>
 *   <tr><td>{@code --idle-strategy}</td><td>{@code SPOKE_IDLE_STRATEGY}</td><td>BALANCED, LOW_CPU, BUSY_SPIN</td></tr>
 *   <tr><td>{@code --shutdown-grace-ms}</td><td>{@code SPOKE_SHUTDOWN_GRACE_MS}</td><td>how long running calls
 *       may finish after the host says stop (default 5000)</td></tr>
 * </table>
 *
 * <p>Immutable.
 */
public final class PeerArguments {

  static final String HUB_PATH = "hub-path";
  static final String PEER_ID = "peer-id";
  static final String HUB_TOKEN = "hub-token";
  static final String PLUGIN_NAME = "plugin-name";
  static final String IDLE_STRATEGY = "idle-strategy";
  static final String SHUTDOWN_GRACE_MS = "shutdown-grace-ms";
  private static final List<String> OURS =
      List.of(HUB_PATH, PEER_ID, HUB_TOKEN, PLUGIN_NAME, IDLE_STRATEGY, SHUTDOWN_GRACE_MS);

  private final Path hubPath;
  private final int peerId;
  private final String token;
  private final String pluginName;
  private final IdleStrategy idleStrategy;
  private final Duration shutdownGrace;
  private final List<String> remaining;

  private PeerArguments(Path hubPath, int peerId, String token, String pluginName, IdleStrategy idleStrategy,
      Duration shutdownGrace, List<String> remaining) {
    this.hubPath = hubPath;
    this.peerId = peerId;
    this.token = token;
    this.pluginName = pluginName;
    this.idleStrategy = idleStrategy;
    this.shutdownGrace = shutdownGrace;
    this.remaining = Collections.unmodifiableList(remaining);
  }

  /** Parses {@code args}, falling back to the process environment. */
  public static PeerArguments parse(String[] args) {
    return parse(args, System.getenv());
  }

  /**
   * Parses {@code args}, falling back to {@code env}.
   *
   * @throws IllegalArgumentException naming the argument that is missing or malformed
   */
  public static PeerArguments parse(String[] args, Map<String, String> env) {
    Objects.requireNonNull(args, "args");
    java.util.HashMap<String, String> given = new java.util.HashMap<>();
    List<String> remaining = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String key = null;
      String value = null;
      if (a.startsWith("--")) {
        int eq = a.indexOf('=');
        String name = eq < 0 ? a.substring(2) : a.substring(2, eq);
        if (OURS.contains(name)) {
          key = name;
          if (eq >= 0) {
            value = a.substring(eq + 1);
          } else if (i + 1 < args.length) {
            value = args[++i];
          } else {
            throw new IllegalArgumentException("--" + name + " needs a value");
          }
        }
      }
      if (key == null) {
        remaining.add(a);
      } else {
        given.put(key, value);
      }
    }
    String path = pick(given, env, HUB_PATH);
    String id = pick(given, env, PEER_ID);
    String token = pick(given, env, HUB_TOKEN);
    if (path == null || id == null || token == null) {
      List<String> missing = new ArrayList<>();
      if (path == null) {
        missing.add("--hub-path (or SPOKE_HUB_PATH)");
      }
      if (id == null) {
        missing.add("--peer-id (or SPOKE_PEER_ID)");
      }
      if (token == null) {
        missing.add("--hub-token (or SPOKE_HUB_TOKEN)");
      }
      throw new IllegalArgumentException("missing " + String.join(", ", missing)
          + ": this program is a Spoke plugin and is started by its host");
    }
    int peerId;
    try {
      peerId = Integer.parseInt(id.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--peer-id must be a number, got '" + id + "'");
    }
    String name = pick(given, env, PLUGIN_NAME);
    String idle = pick(given, env, IDLE_STRATEGY);
    IdleStrategy strategy;
    try {
      strategy = idle == null ? IdleStrategy.BALANCED : IdleStrategy.valueOf(idle.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--idle-strategy must be one of BALANCED, LOW_CPU, BUSY_SPIN, got '" + idle + "'");
    }
    String grace = pick(given, env, SHUTDOWN_GRACE_MS);
    Duration shutdownGrace;
    try {
      shutdownGrace = Duration.ofMillis(grace == null ? 5000 : Long.parseLong(grace.trim()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--shutdown-grace-ms must be a number of milliseconds, got '" + grace + "'");
    }
    return new PeerArguments(Paths.get(path), peerId, token, name == null || name.isBlank() ? "plugin" : name, strategy,
        shutdownGrace, remaining);
  }

  private static String pick(Map<String, String> given, Map<String, String> env, String key) {
    String v = given.get(key);
    if (v == null) {
      v = env.get("SPOKE_" + key.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
    return v == null || v.isEmpty() ? null : v;
  }

  /** The hub file the host created. */
  public Path hubPath() {
    return hubPath;
  }

  /** The peer entry the host reserved for this plugin. */
  public int peerId() {
    return peerId;
  }

  /** The secret; never logged. */
  public String token() {
    return token;
  }

  /** The plugin's name, as the host knows it. */
  public String pluginName() {
    return pluginName;
  }

  /** How the plugin's receive thread waits, as the host's hub is configured. */
  public IdleStrategy idleStrategy() {
    return idleStrategy;
  }

  /** How long the plugin's running calls may take once the host asks it to stop. */
  public Duration shutdownGrace() {
    return shutdownGrace;
  }

  /** The arguments that were not Spoke's, in order. */
  public List<String> remaining() {
    return remaining;
  }

  @Override
  public String toString() {
    return "PeerArguments{hub " + hubPath + ", peer " + peerId + ", name '" + pluginName + "'}";
  }
}
