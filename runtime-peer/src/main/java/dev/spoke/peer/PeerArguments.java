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
 * <p>The same plugin can instead run as a remote plugin, on any machine: with {@code --listen} it
 * attaches to no hub but serves over the network on that address (through a {@link RemoteServing} on
 * the class path, such as spoke-grpc's), and a host connects to it ({@code PluginSpec.remote}). Its
 * calls to the host go to {@code --host-target}, where the host serves its services over the network.
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
 * <table>
 *   <caption>A remote plugin's arguments</caption>
 *   <tr><th>argument</th><th>environment</th><th></th></tr>
 *   <tr><td>{@code --listen}</td><td>{@code SPOKE_LISTEN}</td><td>the address to serve on, such as {@code
 *       127.0.0.1:7443} (port 0: any free port); instead of the hub's arguments</td></tr>
 *   <tr><td>{@code --host-target}</td><td>{@code SPOKE_HOST_TARGET}</td><td>where the host serves its services,
 *       for {@code hostChannel()}; without it, calls to the host fail</td></tr>
 *   <tr><td>{@code --tls-cert}, {@code --tls-key}</td><td>{@code SPOKE_TLS_CERT}, {@code SPOKE_TLS_KEY}</td>
 *       <td>PEM files: the plugin's certificate chain and private key; with them it serves over TLS, and
 *       presents them to the host as its client certificate</td></tr>
 *   <tr><td>{@code --tls-trust}</td><td>{@code SPOKE_TLS_TRUST}</td><td>a PEM file of the certificates to trust:
 *       callers must present a certificate they sign (mutual TLS), and so must the host</td></tr>
 *   <tr><td>{@code --remote-token}</td><td>{@code SPOKE_REMOTE_TOKEN}</td><td>a shared secret every call must
 *       carry, both ways (better in the environment than on a command line)</td></tr>
 * </table>
 *
 * <p>Without TLS a remote plugin speaks plaintext: fit for loopback and trusted networks only.
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
  static final String LISTEN = "listen";
  static final String HOST_TARGET = "host-target";
  static final String TLS_CERT = "tls-cert";
  static final String TLS_KEY = "tls-key";
  static final String TLS_TRUST = "tls-trust";
  static final String REMOTE_TOKEN = "remote-token";
  private static final List<String> REMOTE = List.of(LISTEN, HOST_TARGET, TLS_CERT, TLS_KEY, TLS_TRUST, REMOTE_TOKEN);
  private static final List<String> OURS = List.of(HUB_PATH, PEER_ID, HUB_TOKEN, PLUGIN_NAME, IDLE_STRATEGY,
      SHUTDOWN_GRACE_MS, LISTEN, HOST_TARGET, TLS_CERT, TLS_KEY, TLS_TRUST, REMOTE_TOKEN);

  private final Path hubPath;
  private final int peerId;
  private final String token;
  private final String pluginName;
  private final IdleStrategy idleStrategy;
  private final Duration shutdownGrace;
  private final List<String> remaining;
  private final String listen;
  private final String hostTarget;
  private final Path tlsCertificate;
  private final Path tlsKey;
  private final Path tlsTrust;
  private final String remoteToken;

  private PeerArguments(Path hubPath, int peerId, String token, String pluginName, IdleStrategy idleStrategy,
      Duration shutdownGrace, List<String> remaining, Map<String, String> remote) {
    this.hubPath = hubPath;
    this.peerId = peerId;
    this.token = token;
    this.pluginName = pluginName;
    this.idleStrategy = idleStrategy;
    this.shutdownGrace = shutdownGrace;
    this.remaining = Collections.unmodifiableList(remaining);
    this.listen = remote.get(LISTEN);
    this.hostTarget = remote.get(HOST_TARGET);
    this.tlsCertificate = path(remote.get(TLS_CERT));
    this.tlsKey = path(remote.get(TLS_KEY));
    this.tlsTrust = path(remote.get(TLS_TRUST));
    this.remoteToken = remote.get(REMOTE_TOKEN);
  }

  private static Path path(String value) {
    return value == null ? null : Paths.get(value);
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
    Map<String, String> remote = new java.util.LinkedHashMap<>();
    for (String key : REMOTE) {
      String v = pick(given, env, key);
      if (v != null) {
        remote.put(key, v);
      }
    }
    if (remote.containsKey(LISTEN)) {
      checkRemote(given, remote);
      path = null;
      id = "0";
      token = "";
    } else if (!remote.isEmpty()) {
      throw new IllegalArgumentException("--" + remote.keySet().iterator().next()
          + " is for a remote plugin, which needs --listen (or SPOKE_LISTEN)");
    }
    if (path == null && !remote.containsKey(LISTEN) || id == null || token == null) {
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
          + ": this program is a Spoke plugin and is started by its host (or, to serve on a network address as a"
          + " remote plugin, give --listen)");
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
    return new PeerArguments(path == null ? null : Paths.get(path), peerId, token,
        name == null || name.isBlank() ? "plugin" : name, strategy, shutdownGrace, remaining, remote);
  }

  /** A remote plugin's arguments must make sense together. */
  private static void checkRemote(Map<String, String> given, Map<String, String> remote) {
    if (given.containsKey(HUB_PATH) || given.containsKey(PEER_ID)) {
      throw new IllegalArgumentException("--listen and --hub-path/--peer-id both given: a plugin either listens on an"
          + " address (remote) or attaches to a hub, not both");
    }
    if (remote.containsKey(TLS_CERT) != remote.containsKey(TLS_KEY)) {
      throw new IllegalArgumentException("--tls-cert and --tls-key go together: TLS needs the certificate and its key");
    }
    if (remote.containsKey(TLS_TRUST) && !remote.containsKey(TLS_CERT)) {
      throw new IllegalArgumentException("--tls-trust needs --tls-cert and --tls-key: mutual TLS is on top of TLS");
    }
  }

  private static String pick(Map<String, String> given, Map<String, String> env, String key) {
    String v = given.get(key);
    if (v == null) {
      v = env.get("SPOKE_" + key.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
    return v == null || v.isEmpty() ? null : v;
  }

  /** The hub file; null for a remote plugin. */
  public Path hubPath() {
    return hubPath;
  }

  /** True for a remote plugin: it listens on {@link #listen()} instead of attaching to a hub. */
  public boolean isRemote() {
    return listen != null;
  }

  /** The address a remote plugin serves on ({@code --listen}), or null. */
  public String listen() {
    return listen;
  }

  /** Where a remote plugin's host serves its services ({@code --host-target}), or null. */
  public String hostTarget() {
    return hostTarget;
  }

  /** A remote plugin's certificate chain, a PEM file ({@code --tls-cert}), or null for plaintext. */
  public Path tlsCertificate() {
    return tlsCertificate;
  }

  /** The private key of {@link #tlsCertificate()}, a PEM file ({@code --tls-key}), or null. */
  public Path tlsKey() {
    return tlsKey;
  }

  /** The certificates a remote plugin trusts, a PEM file ({@code --tls-trust}): mutual TLS; or null. */
  public Path tlsTrust() {
    return tlsTrust;
  }

  /** The secret every call to and from a remote plugin carries ({@code --remote-token}), or null; never logged. */
  public String remoteToken() {
    return remoteToken;
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
    return isRemote()
        ? "PeerArguments{listen " + listen + ", host " + hostTarget + ", name '" + pluginName + "'}"
        : "PeerArguments{hub " + hubPath + ", peer " + peerId + ", name '" + pluginName + "'}";
  }
}
