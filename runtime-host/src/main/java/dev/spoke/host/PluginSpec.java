package dev.spoke.host;

import dev.spoke.ClientInterceptor;
import dev.spoke.ServiceConfig;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How to launch a plugin: a Java main class (on the host's own class path unless told otherwise, so
 * examples run without packaging) or any command line; its name, environment, working directory, how
 * long it may take to get ready, what happens when it fails, and how long it gets to stop; and, for its
 * channel, the interceptors its calls go through and its {@link ServiceConfig} (retries, wait-for-ready,
 * timeouts per method).
 *
 * <p>A Java plugin gets the hub's path, its peer id and its name as arguments; any other command gets
 * them as {@code SPOKE_HUB_PATH}, {@code SPOKE_PEER_ID}, {@code SPOKE_PLUGIN_NAME}. The secret token
 * always travels in the environment ({@code SPOKE_HUB_TOKEN}), where other users cannot read it, unlike
 * a command line.
 *
 * <p>A Java plugin's JVM starts with {@link #DEFAULT_JVM_OPTIONS} ahead of the spec's own options,
 * which can override them; when the host itself runs with Spoke's assertions enabled (as tests do), the
 * plugin gets {@code -ea:dev.spoke...} too.
 *
 * <p>A plugin may also run elsewhere, on another machine or started by someone else, and serve on a
 * network address: {@link #remote} describes one. The host then starts nothing; it connects through a
 * {@link RemoteConnector}, and the plugin's handle is the same as a local one's, with reconnecting in
 * place of restarting.
 *
 * <p>Immutable; build with {@link #java}, {@link #command} or {@link #remote}.
 */
public final class PluginSpec {

  /**
   * JVM options every Java plugin starts with, before its own. {@code -XX:PerfDataSamplingInterval=1000}:
   * the JVM samples its performance counters once a second instead of twenty times, which is most of
   * what an idle JVM costs (16 idle plugins: about 0.5% of a core instead of 1.8%), while {@code jps},
   * {@code jstat} and {@code jcmd} keep working.
   */
  public static final List<String> DEFAULT_JVM_OPTIONS = List.of("-XX:PerfDataSamplingInterval=1000");

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,59}");
  /** Whether this JVM runs Spoke's assertions (as tests do); Java plugins then run them too. */
  private static final boolean SPOKE_ASSERTIONS = PluginSpec.class.desiredAssertionStatus();

  private final String name;
  private final String mainClass;
  private final String classpath;
  private final List<String> jvmArgs;
  private final List<String> command;
  private final List<String> args;
  private final Map<String, String> environment;
  private final Path workingDirectory;
  private final Duration readyTimeout;
  private final RestartPolicy restartPolicy;
  private final Duration shutdownGrace;
  private final List<ClientInterceptor> interceptors;
  private final ServiceConfig serviceConfig;
  private final String target;
  private final RemoteConnector connector;

  private PluginSpec(Builder b) {
    this.name = b.name;
    this.mainClass = b.mainClass;
    this.classpath = b.classpath;
    this.jvmArgs = List.copyOf(b.jvmArgs);
    this.command = b.command == null ? null : List.copyOf(b.command);
    this.args = List.copyOf(b.args);
    this.environment = Collections.unmodifiableMap(new LinkedHashMap<>(b.environment));
    this.workingDirectory = b.workingDirectory;
    this.readyTimeout = b.readyTimeout;
    this.restartPolicy = b.restartPolicy;
    this.shutdownGrace = b.shutdownGrace;
    this.interceptors = List.copyOf(b.interceptors);
    this.serviceConfig = b.serviceConfig;
    this.target = b.target;
    this.connector = b.connector;
  }

  /** A plugin whose {@code main} is {@code mainClass}, run by this JVM's {@code java} on the host's class path. */
  public static Builder java(String name, Class<?> mainClass) {
    return java(name, mainClass.getName());
  }

  /** A plugin whose {@code main} is the class of that name. */
  public static Builder java(String name, String mainClass) {
    Builder b = new Builder(name);
    b.mainClass = Objects.requireNonNull(mainClass, "mainClass");
    return b;
  }

  /** A plugin started by any command line; it finds the hub through {@code SPOKE_*} environment variables. */
  public static Builder command(String name, List<String> command) {
    if (command == null || command.isEmpty()) {
      throw new IllegalArgumentException("the command of plugin '" + name + "' is empty");
    }
    Builder b = new Builder(name);
    b.command = new ArrayList<>(command);
    return b;
  }

  /**
   * A plugin that runs elsewhere and serves at {@code target} ({@code 10.0.0.7:7443}, say): the host
   * connects to it with the spec's {@link Builder#connector connector}, or with the one found on the
   * class path ({@code spoke-grpc} provides one for plaintext gRPC, for loopback and trusted networks).
   * Its {@link Builder#readyTimeout ready timeout} bounds the wait for the first connection; its {@link
   * Builder#shutdownGrace shutdown grace} the wait for calls in flight when the host lets it go.
   */
  public static Builder remote(String name, String target) {
    if (target == null || target.isBlank()) {
      throw new IllegalArgumentException("the target of remote plugin '" + name + "' is empty");
    }
    Builder b = new Builder(name);
    b.target = target;
    return b;
  }

  public String name() {
    return name;
  }

  /** True for a plugin that runs elsewhere ({@link #remote}). */
  public boolean isRemote() {
    return target != null;
  }

  /** Where a remote plugin serves, or null for a local one. */
  public String target() {
    return target;
  }

  /** The connector a remote plugin is reached with, or null: the one found on the class path. */
  public RemoteConnector connector() {
    return connector;
  }

  public Duration readyTimeout() {
    return readyTimeout;
  }

  public RestartPolicy restartPolicy() {
    return restartPolicy;
  }

  public Duration shutdownGrace() {
    return shutdownGrace;
  }

  public Path workingDirectory() {
    return workingDirectory;
  }

  /** The interceptors of the plugin's channel, in the order given (the last sees each call first). */
  public List<ClientInterceptor> interceptors() {
    return interceptors;
  }

  /** The plugin channel's per-method settings; {@link ServiceConfig#NONE} by default. */
  public ServiceConfig serviceConfig() {
    return serviceConfig;
  }

  /** The command line of one launch. */
  List<String> commandLine(Path hubPath, int peerId, String idleStrategy) {
    List<String> cmd = new ArrayList<>();
    if (command != null) {
      cmd.addAll(command);
      cmd.addAll(args);
      return cmd;
    }
    cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(DEFAULT_JVM_OPTIONS);
    if (SPOKE_ASSERTIONS) {
      cmd.add("-ea:dev.spoke..."); // a host that checks Spoke's invariants has its plugins check them too
    }
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(classpath != null ? classpath : System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.add("--hub-path=" + hubPath);
    cmd.add("--peer-id=" + peerId);
    cmd.add("--plugin-name=" + name);
    cmd.add("--idle-strategy=" + idleStrategy);
    cmd.add("--shutdown-grace-ms=" + shutdownGrace.toMillis());
    cmd.addAll(args);
    return cmd;
  }

  /** The environment of one launch, on top of the host's. */
  Map<String, String> environment(Path hubPath, int peerId, String token, String idleStrategy) {
    Map<String, String> env = new LinkedHashMap<>(environment);
    env.put("SPOKE_HUB_PATH", hubPath.toString());
    env.put("SPOKE_PEER_ID", String.valueOf(peerId));
    env.put("SPOKE_PLUGIN_NAME", name);
    env.put("SPOKE_IDLE_STRATEGY", idleStrategy);
    env.put("SPOKE_SHUTDOWN_GRACE_MS", String.valueOf(shutdownGrace.toMillis()));
    env.put("SPOKE_HUB_TOKEN", token);
    return env;
  }

  @Override
  public String toString() {
    String what = target != null ? "remote " + target : command != null ? String.join(" ", command) : "java " + mainClass;
    return "PluginSpec{" + name + ", " + what + "}";
  }

  /** Builds a {@link PluginSpec}. */
  public static final class Builder {
    private final String name;
    private String mainClass;
    private String classpath;
    private final List<String> jvmArgs = new ArrayList<>();
    private List<String> command;
    private final List<String> args = new ArrayList<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private Path workingDirectory;
    private Duration readyTimeout = Duration.ofSeconds(30);
    private RestartPolicy restartPolicy = RestartPolicy.never();
    private Duration shutdownGrace = Duration.ofSeconds(5);
    private final List<ClientInterceptor> interceptors = new ArrayList<>();
    private ServiceConfig serviceConfig = ServiceConfig.NONE;
    private String target;
    private RemoteConnector connector;

    private Builder(String name) {
      if (name == null || !NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("plugin name '" + name
            + "' must be 1 to 60 characters of letters, digits, '.', '_' or '-', starting with a letter or digit");
      }
      this.name = name;
    }

    /** The class path of a Java plugin; default: the host's own. */
    public Builder classpath(String classpath) {
      this.classpath = classpath;
      return this;
    }

    /** JVM options of a Java plugin, such as {@code -Xmx256m}; after {@link #DEFAULT_JVM_OPTIONS}. */
    public Builder jvmArgs(String... options) {
      jvmArgs.addAll(List.of(options));
      return this;
    }

    /** Arguments for the plugin itself, after Spoke's. */
    public Builder args(String... arguments) {
      args.addAll(List.of(arguments));
      return this;
    }

    public Builder environment(String key, String value) {
      environment.put(key, value);
      return this;
    }

    public Builder environment(Map<String, String> variables) {
      environment.putAll(variables);
      return this;
    }

    public Builder workingDirectory(Path dir) {
      this.workingDirectory = dir;
      return this;
    }

    /** How long the plugin may take from start to READY before the launch fails. Default 30 s. */
    public Builder readyTimeout(Duration timeout) {
      this.readyTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /** What happens when the plugin fails. Default: {@link RestartPolicy#never()}. */
    public Builder restartPolicy(RestartPolicy policy) {
      this.restartPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * How long a stopping plugin may take to finish its running calls and exit before it is terminated.
     * Default 5 s.
     */
    public Builder shutdownGrace(Duration grace) {
      this.shutdownGrace = Objects.requireNonNull(grace, "grace");
      return this;
    }

    /**
     * Interceptors every call through the plugin's {@code channel()} goes through, before the host's
     * own ({@code SpokeHost.Builder.interceptPluginChannels}); the last given sees each call first, as in
     * {@code ClientInterceptors.intercept}. They see each call once, however many attempts its retries
     * take.
     */
    public Builder intercept(ClientInterceptor... added) {
      for (ClientInterceptor i : added) {
        interceptors.add(Objects.requireNonNull(i, "interceptor"));
      }
      return this;
    }

    /**
     * How the host reaches a {@link #remote} plugin: a connector configured for it (spoke-grpc's {@code
     * GrpcConnector} with TLS and credentials, say). Default: the connector found on the class path.
     */
    public Builder connector(RemoteConnector remoteConnector) {
      this.connector = Objects.requireNonNull(remoteConnector, "remoteConnector");
      return this;
    }

    /**
     * The channel's per-method settings: retry policies, wait-for-ready and timeouts. Without one,
     * wait-for-ready calls that failed without having run (the process died before reading them) are
     * still made again on the next process.
     */
    public Builder serviceConfig(ServiceConfig config) {
      this.serviceConfig = Objects.requireNonNull(config, "config");
      return this;
    }

    /**
     * The spec. A remote plugin takes interceptors and a service config as a local one does.
     *
     * @throws IllegalArgumentException if a remote plugin is given what only a local one has (a class
     *     path, JVM options, arguments, environment, a working directory, a restart policy), or a local
     *     one a connector
     */
    public PluginSpec build() {
      if (target != null) {
        boolean local = classpath != null || !jvmArgs.isEmpty() || !args.isEmpty() || !environment.isEmpty()
            || workingDirectory != null || restartPolicy.maxRestarts() != 0;
        if (local) {
          throw new IllegalArgumentException("plugin '" + name + "' is remote (" + target + "): the host starts no process"
              + " for it, so it takes no class path, JVM options, arguments, environment, working directory or"
              + " restart policy (it reconnects by itself)");
        }
      } else if (connector != null) {
        throw new IllegalArgumentException("plugin '" + name + "' is not remote: a connector is for PluginSpec.remote");
      }
      return new PluginSpec(this);
    }
  }
}
