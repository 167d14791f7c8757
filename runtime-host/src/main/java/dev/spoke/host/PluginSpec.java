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
 * How to launch a plugin: a Java main class or any command line; its name, environment, working
 * directory, how long it may take to get ready, what happens when it fails, and how long it gets to stop.
 *
 * <p>A Java plugin runs on the class path its main class was loaded from in the host: the host's own
 * {@code java.class.path} under {@code java -cp}, {@code java -jar} and most IDE runners; the entries of
 * the class loader that loaded it under {@code mvn exec:java} and other runners that load the
 * application in a class loader of their own; a Spring Boot executable jar through its own launcher.
 * {@link Builder#classpath} sets it explicitly. A main class that is not on that class path is refused
 * before any process starts, with an error that names the class and what to do.
 *
 * <p>Defaults, all shown by {@link #toString()}: ready timeout {@value #DEFAULT_READY_TIMEOUT_SECONDS}
 * s; restart policy {@link RestartPolicy#onFailure()} (restart after every crash, back-off from 100 ms
 * to 30 s); shutdown grace {@value #DEFAULT_SHUTDOWN_GRACE_SECONDS} s; the host's environment and
 * working directory; JVM options {@link #DEFAULT_JVM_OPTIONS} and {@link #LOG_FORMAT_OPTIONS}.
 *
 * <p>For its channel, a spec also holds the interceptors its calls go through and its {@link
 * ServiceConfig} (retries, wait-for-ready, timeouts per method).
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

  /**
   * JVM options that give a Java plugin's slf4j-simple log lines the one format the host parses, {@code
   * LEVEL logger - message} (no date, thread or brackets: the host's own log adds its), so each line is
   * forwarded once, under the plugin's logger name and at its level (see {@link SpokeHost}). They come
   * after {@link #DEFAULT_JVM_OPTIONS} and before the spec's own options, which can override them; a
   * plugin that logs through another backend gets the same forwarding by printing that format.
   */
  public static final List<String> LOG_FORMAT_OPTIONS = List.of(
      "-Dorg.slf4j.simpleLogger.showDateTime=false",
      "-Dorg.slf4j.simpleLogger.showThreadName=false",
      "-Dorg.slf4j.simpleLogger.showLogName=true",
      "-Dorg.slf4j.simpleLogger.showShortLogName=false",
      "-Dorg.slf4j.simpleLogger.levelInBrackets=false");

  /** How long a plugin may take from start to READY unless {@link Builder#readyTimeout} says otherwise. */
  public static final int DEFAULT_READY_TIMEOUT_SECONDS = 30;

  /** How long a stopping plugin may take unless {@link Builder#shutdownGrace} says otherwise. */
  public static final int DEFAULT_SHUTDOWN_GRACE_SECONDS = 5;

  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,59}");
  /** Whether this JVM runs Spoke's assertions (as tests do); Java plugins then run them too. */
  private static final boolean SPOKE_ASSERTIONS = PluginSpec.class.desiredAssertionStatus();

  private final String name;
  private final String mainClass;
  private final PluginClassPath classpath;
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
  /** Set once the main class was found on the class path, so restarts do not look again. */
  private volatile boolean classpathChecked;

  private PluginSpec(Builder b) {
    this.name = b.name;
    this.mainClass = b.mainClass;
    this.classpath = b.command != null || b.target != null ? null : b.resolveClasspath();
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

  /**
   * A plugin whose {@code main} is {@code mainClass}, run by this JVM's {@code java} on the class path
   * {@code mainClass} was loaded from (see the class comment).
   *
   * @param name the plugin's name: 1 to 60 letters, digits, '.', '_' or '-'; in logs, errors and the hub
   */
  public static Builder java(String name, Class<?> mainClass) {
    return java(name, mainClass.getName(), mainClass.getClassLoader());
  }

  /**
   * A plugin whose {@code main} is the class of that name as {@code loader} loads it, run on the class
   * path that loader takes it from: for applications that load plugin code in class loaders of their own.
   */
  public static Builder java(String name, String mainClass, ClassLoader loader) {
    Builder b = java(name, mainClass);
    b.mainClassLoader = loader;
    b.mainClassKnown = true;
    return b;
  }

  /**
   * A plugin whose {@code main} is the class of that name, run on the class path that class is loaded
   * from in the host (found through the thread's context class loader), or on the host's own class path
   * if the host cannot load it, or on {@link Builder#classpath}.
   */
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

  /** The plugin's name, as given to {@link #java} or {@link #command}. */
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

  /** The plugin's main class, or null if it is started by a command line. */
  public String mainClass() {
    return mainClass;
  }

  /**
   * The class path a Java plugin runs on, absolute entries in order (see the class comment for where it
   * comes from); empty for a plugin started by a command line.
   */
  public List<String> classpath() {
    return classpath == null ? List.of() : classpath.entries();
  }

  /** The JVM options of a Java plugin, after {@link #DEFAULT_JVM_OPTIONS} and {@link #LOG_FORMAT_OPTIONS}. */
  public List<String> jvmArgs() {
    return jvmArgs;
  }

  /** The plugin's own arguments, after Spoke's. */
  public List<String> args() {
    return args;
  }

  /** Variables set for the plugin on top of the host's environment. */
  public Map<String, String> environment() {
    return environment;
  }

  /** How long the plugin may take from start to READY. */
  public Duration readyTimeout() {
    return readyTimeout;
  }

  /** What the host does when the plugin exits without being asked to. */
  public RestartPolicy restartPolicy() {
    return restartPolicy;
  }

  /** How long a stopping plugin may take to finish its calls and exit before it is terminated. */
  public Duration shutdownGrace() {
    return shutdownGrace;
  }

  /** The plugin's working directory, or null for the host's. */
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

  /**
   * Throws if this spec cannot start a process that runs its main class: a Java plugin whose main class
   * is not on its class path. Called before a launch reserves anything, so the error comes at once.
   */
  void checkLaunchable() {
    if (classpath == null || classpathChecked) {
      return;
    }
    String problem = classpath.checkHolds(mainClass);
    if (problem != null) {
      throw new PluginLaunchException("cannot launch plugin '" + name + "': " + problem + ". Pass the class itself,"
          + " PluginSpec.java(\"" + name + "\", " + simpleName(mainClass) + ".class), to run it from where the host"
          + " loaded it, or give the class path with PluginSpec.Builder.classpath(...)");
    }
    classpathChecked = true;
  }

  private static String simpleName(String className) {
    return className.substring(className.lastIndexOf('.') + 1);
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
    cmd.addAll(LOG_FORMAT_OPTIONS);
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(classpath.argument());
    if (classpath.launcherClass() != null) {
      cmd.add("-Dloader.main=" + mainClass); // Spring Boot's PropertiesLauncher runs this class
      cmd.add(classpath.launcherClass());
    } else {
      cmd.add(mainClass);
    }
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

  /**
   * Everything a launch uses, defaults included: name, what runs and on which class path, options,
   * timeouts, restart policy, working directory and the variables added to the environment; and the
   * channel's interceptors (how many) and service config, when set.
   */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("PluginSpec{").append(name).append(", ");
    if (target != null) {
      sb.append("remote ").append(target);
    } else if (command != null) {
      sb.append("command ").append(String.join(" ", command));
    } else {
      sb.append("java ").append(mainClass).append(", class path: ").append(classpath.describe())
          .append(", JVM options ").append(jvmArgs.isEmpty() ? "the defaults" : "the defaults and " + jvmArgs);
    }
    if (!args.isEmpty()) {
      sb.append(", args ").append(args);
    }
    sb.append(", ready timeout ").append(human(readyTimeout));
    if (target == null) {
      sb.append(", restart ").append(restartPolicy);
    }
    sb.append(", shutdown grace ").append(human(shutdownGrace));
    if (target == null) {
      sb.append(", working directory ").append(workingDirectory != null ? workingDirectory : "the host's")
          .append(", environment ").append(environment.isEmpty() ? "the host's" : "the host's and " + environment.keySet());
    }
    if (!interceptors.isEmpty()) {
      sb.append(", interceptors ").append(interceptors.size());
    }
    if (serviceConfig != ServiceConfig.NONE) {
      sb.append(", service config ").append(serviceConfig);
    }
    sb.append('}');
    return sb.toString();
  }

  /** 30 s, 200 ms, 1 min: a duration as a person writes it. */
  static String human(Duration d) {
    long ms = d.toMillis();
    if (ms % 60_000 == 0 && ms >= 60_000) {
      return ms / 60_000 + " min";
    }
    if (ms % 1000 == 0 && ms >= 1000) {
      return ms / 1000 + " s";
    }
    return ms + " ms";
  }

  /** Builds a {@link PluginSpec}. */
  public static final class Builder {
    private final String name;
    private String mainClass;
    private ClassLoader mainClassLoader;
    private boolean mainClassKnown;
    private String classpath;
    private final List<String> jvmArgs = new ArrayList<>();
    private List<String> command;
    private final List<String> args = new ArrayList<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    private Path workingDirectory;
    private Duration readyTimeout = Duration.ofSeconds(DEFAULT_READY_TIMEOUT_SECONDS);
    private RestartPolicy restartPolicy = RestartPolicy.onFailure();
    private boolean restartPolicySet; // a remote plugin takes none: it reconnects by itself
    private Duration shutdownGrace = Duration.ofSeconds(DEFAULT_SHUTDOWN_GRACE_SECONDS);
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

    /**
     * The class path of a Java plugin, entries separated by {@link java.io.File#pathSeparator}; default:
     * where its main class was loaded from (see {@link PluginSpec}). For hosts whose class loader does
     * not list its entries, or plugins whose classes the host does not have.
     */
    public Builder classpath(String classpath) {
      this.classpath = Objects.requireNonNull(classpath, "classpath");
      return this;
    }

    /** The class path of a Java plugin as a list of directories and jars; see {@link #classpath(String)}. */
    public Builder classpath(List<Path> entries) {
      List<String> s = new ArrayList<>();
      for (Path p : entries) {
        s.add(p.toString());
      }
      return classpath(String.join(java.io.File.pathSeparator, s));
    }

    /** Where the plugin's class path comes from: given, derived from its main class's loader, or the host's. */
    private PluginClassPath resolveClasspath() {
      if (classpath != null) {
        return PluginClassPath.given(classpath);
      }
      if (mainClassKnown) {
        return PluginClassPath.of(name, mainClass, mainClassLoader);
      }
      ClassLoader context = Thread.currentThread().getContextClassLoader();
      for (ClassLoader l : new ClassLoader[] {context, PluginSpec.class.getClassLoader()}) {
        if (l == null) {
          continue;
        }
        try {
          // Not initialized: only where it comes from matters here.
          return PluginClassPath.of(name, mainClass, Class.forName(mainClass, false, l).getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
          // not visible through this loader
        }
      }
      return PluginClassPath.host(); // checkLaunchable() says so if it is not there either
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

    /** Sets a variable in the plugin's environment, on top of the host's. */
    public Builder environment(String key, String value) {
      environment.put(key, value);
      return this;
    }

    /** Sets variables in the plugin's environment, on top of the host's. */
    public Builder environment(Map<String, String> variables) {
      environment.putAll(variables);
      return this;
    }

    /** The plugin's working directory; default: the host's. */
    public Builder workingDirectory(Path dir) {
      this.workingDirectory = dir;
      return this;
    }

    /** How long the plugin may take from start to READY before the launch fails. Default 30 s. */
    public Builder readyTimeout(Duration timeout) {
      this.readyTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * What happens when the plugin exits without being asked to. Default: {@link RestartPolicy#onFailure()},
     * restarted every time with a growing back-off; {@link RestartPolicy#never()} leaves it FAILED.
     */
    public Builder restartPolicy(RestartPolicy policy) {
      this.restartPolicy = Objects.requireNonNull(policy, "policy");
      this.restartPolicySet = true;
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
     * The spec. For a Java plugin this works out its class path. A remote plugin takes interceptors and
     * a service config as a local one does.
     *
     * @throws IllegalArgumentException if no class path can start the main class (it was loaded by a
     *     class loader that does not list its entries, or from a nested jar Spoke cannot start), saying
     *     what to do; if a remote plugin is given what only a local one has (a class path, JVM options,
     *     arguments, environment, a working directory, a restart policy), or a local one a connector
     */
    public PluginSpec build() {
      if (target != null) {
        boolean local = classpath != null || !jvmArgs.isEmpty() || !args.isEmpty() || !environment.isEmpty()
            || workingDirectory != null || restartPolicySet;
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
