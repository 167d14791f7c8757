package dev.spoke.bench;

import java.time.Duration;
import java.util.Locale;

/**
 * How long each measurement runs. Every mode measures the same scenarios; only the time spent on each
 * differs. {@link #QUICK} is for a first look (about seven minutes with the build), {@link #FULL} for the
 * figures we publish, {@link #SMOKE} only proves the harness works.
 */
enum Mode {
  //     suite warm-up:    point:                 latency:            idle:             JMH:
  //     calls, cap ms     warm-up, cap, measure ms, min samples   settle, window ms  warm-up, measured iterations, ms each
  SMOKE(    50,  1_000,    100,    200,   100,    5,                  500,  1_000,       1,  1,  100),
  QUICK(10_000, 16_000,    500,  4_000,   400,   10,                2_000, 10_000,       1,  3,  200),
  FULL( 40_000, 90_000,  2_000, 10_000, 5_000,  200,               30_000, 30_000,       5, 10, 1000);

  /**
   * Before its first point, each suite makes at least this many small calls, blocking and async, and
   * goes on until the time per call stops falling, for at most {@link #suiteWarmupCap} (see {@link
   * Measure#warmUp}): the JIT must have compiled the call path of the slower framework too.
   */
  final int suiteWarmupCalls;
  final Duration suiteWarmupCap;
  /**
   * The least warm-up before each measured point: the JIT compiles the path, pools and windows settle.
   * A point warms on past it until its figure stops improving, for at most {@link #warmupCap} (see
   * {@link Measure}): the rule, not the time, is what makes a quick run's figures those of a full run.
   */
  final Duration warmup;
  /** The longest a point warms up while its figure still improves. */
  final Duration warmupCap;
  /** How long each point is measured (a latency point runs longer if it has too few samples). */
  final Duration measure;
  /** A latency point keeps measuring until it has this many samples, up to {@link #maxMeasure()}. */
  final int minSamples;
  /**
   * How long idle plugins are left alone before their CPU is measured: JVMs compile and load classes
   * for a while after they start, and code that runs ten times a second stays interpreted for long.
   */
  final Duration idleSettle;
  /** How long the CPU of idle plugins is measured. */
  final Duration idleWindow;
  final int jmhWarmupIterations;
  final int jmhMeasureIterations;
  final Duration jmhIteration;

  Mode(int suiteWarmupCalls, long suiteWarmupCapMillis, long warmupMillis, long warmupCapMillis, long measureMillis,
      int minSamples, long settleMillis, long idleMillis, int jmhWarmup, int jmhMeasure, long jmhIterationMillis) {
    this.suiteWarmupCalls = suiteWarmupCalls;
    this.suiteWarmupCap = Duration.ofMillis(suiteWarmupCapMillis);
    this.warmup = Duration.ofMillis(warmupMillis);
    this.warmupCap = Duration.ofMillis(warmupCapMillis);
    this.measure = Duration.ofMillis(measureMillis);
    this.minSamples = minSamples;
    this.idleSettle = Duration.ofMillis(settleMillis);
    this.idleWindow = Duration.ofMillis(idleMillis);
    this.jmhWarmupIterations = jmhWarmup;
    this.jmhMeasureIterations = jmhMeasure;
    this.jmhIteration = Duration.ofMillis(jmhIterationMillis);
  }

  /** The longest a latency point measures while it waits for {@link #minSamples}. */
  Duration maxMeasure() {
    return measure.multipliedBy(3);
  }

  String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  static Mode parse(String s) {
    try {
      return valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown mode '" + s + "': use quick, full or smoke");
    }
  }
}
