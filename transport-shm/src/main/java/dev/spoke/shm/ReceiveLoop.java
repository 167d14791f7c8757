package dev.spoke.shm;

import dev.spoke.internal.InboundDelivery;
import dev.spoke.internal.LogThrottle;
import dev.spoke.internal.Processors;
import dev.spoke.internal.WatchClock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receive loop of a host or a plugin: polls the inbound ring of every transport it serves, spins
 * for an adaptive window ({@link SpinWindow}) when all are empty, then parks on its doorbell.
 *
 * <p><b>Leader and followers.</b> One thread at a time runs the loop: the leader. A handler bound to a
 * direct executor runs on the leader, inside the delivery of its frame; if it makes a blocking call,
 * the leader would park with nobody left to receive — its own response included. So before any wait
 * of the call layer the leader gives up its role ({@link InboundDelivery}): it hands the loop to an
 * idle follower (or a new thread) and waits as an ordinary caller. When its handler returns, it finds
 * itself no longer the leader, stops delivering and becomes an idle follower, to be handed the loop
 * again later. The leader's private state (spin window, park interval) passes with the role through the
 * volatile {@code leader} field.
 *
 * <p><b>The standby.</b> Handlers and callbacks run inline on the leader by default ({@code
 * InlineExecutor}), so one that blocks or computes outside Spoke's calls would hold everyone up. One
 * thread of the loop stands by: while the leader is awake it looks now and then ({@link LookSchedule}),
 * and when the leader (or a caller holding a ring's consumer role) has run application code for longer
 * than {@link HubConfig#handOffAfter()}, it takes the stuck thread's roles over ({@link
 * InboundDelivery.Delivering#tryTakeOver}) and leads in its place; another thread becomes the standby.
 * After a look that finds the JVM collected garbage meanwhile, or that comes late, time in application
 * code counts from that look: the watched thread was held up too. A thread due that the kernel shows
 * runnable is taken over only once it has had CPU time in that stay ({@link KernelThread}): otherwise
 * it waits for a core, and a take-over would only add a thread that waits for one. The standby runs
 * with the batch policy ({@link SchedulingPolicy}), so that its looks do not preempt the loops it
 * watches. The stuck thread, back from its code, finds its roles gone and becomes an idle follower.
 * While the leader is parked the standby sleeps too: an idle loop costs nothing more.
 *
 * <p><b>Consumers.</b> Each transport's ring is polled only by the thread that holds its consumer role
 * ({@link RingConsumer}): normally the leader, but a blocking caller waiting for a response may take it
 * and poll the ring itself. Parking (see {@link Doorbell}): read the doorbell's sequence; mark this
 * loop parked; set the parked flag of every ring no caller is polling; fence; re-check every ring;
 * wait. A caller that gives a ring back while this loop is parked sets that ring's flag itself and
 * re-checks it, so a frame that lands between the two is never stranded.
 *
 * <p>Thread-safe: {@link #isParked()}, {@link #isLoopThread()} and {@link #wake()} are for any thread;
 * the loop's body runs on the leader only.
 */
final class ReceiveLoop implements InboundDelivery.Role {

  private static final Logger log = LoggerFactory.getLogger(ReceiveLoop.class);
  private static final int BATCH = 64;
  /** How soon a loop with queued outbound frames (or deferred work) looks again. */
  static final long OVERFLOW_RETRY_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
  /** How long an idle follower waits to lead again before its thread ends. */
  private static final long FOLLOWER_KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(30);

  private static final int IDLE = 0;
  private static final int PROMOTED = 1;
  private static final int RETIRED = 2;
  /** Called to stand by: it looks again, and takes the standby's job if it is free. */
  private static final int CALLED = 3;

  /** What the loop serves. */
  interface Source {
    /** The transports to poll now (entries may be null). */
    HubTransport[] transports();

    /** Other work of the loop's owner, done each round (the host's reclaims); returns how much. */
    int otherWork();

    /** True if {@link #otherWork} has something due now. */
    boolean hasOtherWork();

    /** True if {@link #otherWork} has something waiting that is not due yet: look again soon. */
    default boolean hasDeferredWork() {
      return false;
    }

    /** True once the loop must end. */
    boolean stopping();

    /**
     * A round failed with {@code failure}: true if the source accounts for it (a fault of the hub's
     * memory that lost the hub; the loop then stops), false for an unexpected failure, which the loop
     * records and logs.
     */
    default boolean fault(Throwable failure) {
      return false;
    }
  }

  /** A thread that ran the loop and waits to run it again. */
  private static final class Follower {
    final Thread thread;
    final AtomicInteger state = new AtomicInteger(IDLE);

    Follower(Thread thread) {
      this.thread = thread;
    }
  }

  private final String name;
  private final Source source;
  private final Doorbell doorbell;
  private final IdleStrategy strategy;
  private final long parkLimitNanos;
  private final ConcurrentLinkedDeque<Follower> idleFollowers = new ConcurrentLinkedDeque<>();
  /** The thread watching the leader, or null (then the next thread to become idle takes the job). */
  private volatile Thread standby;
  /** True while the standby sleeps because the leader is parked; the leader wakes it when it wakes. */
  private volatile boolean standbyAsleep;
  /** How many times the leader woke from a park; the leader's own counter, read by the standby. */
  private volatile long leaderWakes;
  private final long handOffAfterNanos;
  /** The leader's delivering state, for the standby. */
  private volatile InboundDelivery.Delivering leaderState;
  /** This loop's threads, each with its kernel id once it runs and knows it, else 0 ({@link KernelThread}). */
  private final Map<Thread, Integer> threads = new ConcurrentHashMap<>();
  /**
   * For each watched thread found due but runnable: the stay in application code it was found in, and
   * its CPU time then ({@link #judgeDue}). The standby's own; concurrent only because the job moves.
   */
  private final Map<InboundDelivery.Delivering, long[]> dueButRunnable = new ConcurrentHashMap<>();
  private final AtomicInteger threadIds = new AtomicInteger();
  private volatile Thread leader;
  private volatile boolean parked;
  private volatile long takeOvers;
  /** How many times a standby looked, for tests and diagnostics. */
  private volatile long looks;
  /** The current standby's look schedule, for tests and diagnostics. */
  private volatile LookSchedule watchSchedule;
  /**
   * Whether the last look found no thread in the same stay in application code as the look before.
   * The standby's own: written and read by it within one look.
   */
  private boolean lastLookQuiet;

  private static final java.lang.invoke.VarHandle LEADER;
  private static final java.lang.invoke.VarHandle STANDBY;

  static {
    try {
      java.lang.invoke.MethodHandles.Lookup l = java.lang.invoke.MethodHandles.lookup();
      LEADER = l.findVarHandle(ReceiveLoop.class, "leader", Thread.class);
      STANDBY = l.findVarHandle(ReceiveLoop.class, "standby", Thread.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }
  /** The first failure a round threw (logged and survived), for tests to assert there was none. */
  private volatile Throwable firstFailure;
  /** A round that fails keeps failing: its log line goes out once a second, with a count. */
  private final LogThrottle failureLog = new LogThrottle(TimeUnit.SECONDS.toNanos(1));

  // The leader's own state; handed on with the role (see the class comment).
  private SpinWindow spin;
  /** The current park limit: the configured one, doubled after each quiet wake up to 8 times that. */
  private long parkNanos;
  /**
   * After a park that ran out its time with nobody ringing, an idle loop looks once and parks again
   * without spinning: an idle plugin then costs one short wake-up per park limit.
   */
  private boolean quietWake;
  /**
   * For a loop that never parks: the count of blocking callers' looks at its rings when its current
   * idle stretch began, if {@link #idleStretchNoted} (see {@link #callersServeThemselves}).
   */
  private int callerLooksWhenIdle;
  private boolean idleStretchNoted;

  ReceiveLoop(String name, Source source, Doorbell doorbell, HubConfig config) {
    this.name = name;
    this.source = source;
    this.doorbell = doorbell;
    this.strategy = config.idleStrategy().forProcessors(Processors.AVAILABLE);
    if (strategy != config.idleStrategy()) {
      log.info("{}: this JVM may use one processor only; its receive loop parks as soon as it is idle, rather than "
          + "spin as {} would", name, config.idleStrategy());
    }
    this.parkLimitNanos = config.parkLimit().toNanos();
    this.handOffAfterNanos = config.handOffAfter().toNanos();
    this.parkNanos = parkLimitNanos;
    this.spin = Processors.SPINNING_HELPS ? new SpinWindow(strategy) : SpinWindow.shut();
  }

  /** Starts the first thread, which leads, and the standby. Call once. */
  void start() {
    Thread t = newThread();
    leader = t;
    Thread s = newThread();
    standby = s;
    t.start();
    s.start();
  }

  /** True for BUSY_SPIN: the loop parks only while blocking callers serve themselves. */
  boolean neverParks() {
    return !strategy.parks();
  }

  /** True while the loop is parked (or about to park): a caller giving a ring back must re-arm it. */
  boolean isParked() {
    return parked;
  }

  /** True on the thread that runs the loop now. */
  boolean isLoopThread() {
    return Thread.currentThread() == leader;
  }

  /** The thread that runs the loop now (null once stopped), for diagnostics. */
  Thread leader() {
    return leader;
  }

  /** Threads the loop has now (the leader and idle or busy followers), for diagnostics and tests. */
  int threadCount() {
    return threads.size();
  }

  /** The first failure the loop survived (an assertion among them, when they are on), or null. */
  Throwable firstFailure() {
    return firstFailure;
  }

  /** Wakes the loop whether or not a ring says so: for new transports, liveness events and stopping. */
  void wake() {
    doorbell.wake();
  }

  /**
   * After {@link Source#stopping()} turned true: wakes every thread of the loop and waits up to {@code
   * timeoutMillis} for them to end (except the calling thread, if it is one). Returns whether all did.
   */
  boolean stopAndJoin(long timeoutMillis) throws InterruptedException {
    return stopAndJoin(timeoutMillis, true);
  }

  /**
   * As {@link #stopAndJoin(long)}; with {@code ring} false the doorbell (a word in the hub) is not
   * touched — for a hub whose memory is gone: a parked leader then ends within its park limit.
   */
  boolean stopAndJoin(long timeoutMillis, boolean ring) throws InterruptedException {
    if (ring) {
      wake();
    }
    for (Follower f : idleFollowers) {
      LockSupport.unpark(f.thread);
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    Thread s = standby;
    if (s != null) {
      LockSupport.unpark(s);
    }
    boolean all = true;
    for (Thread t : threads.keySet()) {
      if (t == Thread.currentThread()) {
        continue;
      }
      long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      if (left > 0) {
        t.join(left);
      }
      all &= !t.isAlive();
    }
    return all;
  }

  private Thread newThread() {
    Thread t = InboundDelivery.newDeliveryThread(this::runThread, name + "-" + threadIds.incrementAndGet());
    t.setDaemon(true);
    // NOTE: a fault in a truncated hub's memory is raised at a later safepoint check, possibly again
    // while the thread's own handler deals with the first: the last chance to take it for the lost hub
    // it is, rather than an uncaught error printed on stderr.
    t.setUncaughtExceptionHandler((thread, e) -> {
      if (!source.fault(e)) {
        log.error("receive thread {} died", thread.getName(), e);
      }
    });
    threads.put(t, 0);
    return t;
  }

  private void runThread() {
    Thread me = Thread.currentThread();
    Follower self = null;
    threads.put(me, KernelThread.currentId());
    try {
      for (;;) {
        if (leader == me) {
          lead(me);
          InboundDelivery.clearTakenOver();
        }
        if (source.stopping()) {
          return;
        }
        if (standby == me || (standby == null && STANDBY.compareAndSet(this, null, me))) {
          standBy(me);
          continue;
        }
        if (self == null) {
          self = new Follower(me);
        }
        if (!awaitPromotion(self)) {
          return;
        }
      }
    } catch (Throwable t) {
      // NOTE: HotSpot raises a fault in mapped memory (a hub file truncated by another process) at the
      // thread's next safepoint check, which can be outside the round that made the access. The source
      // explains such a fault (the hub is lost) and this thread ends quietly; anything else is recorded.
      if (!source.fault(t)) {
        if (firstFailure == null) {
          firstFailure = t;
        }
        log.error("receive thread {} failed and ends", me.getName(), t);
      }
    } finally {
      threads.remove(me);
      dueButRunnable.remove(InboundDelivery.current());
      if (leader == me) {
        leader = null;
      }
      STANDBY.compareAndSet(this, me, null);
    }
  }

  /** Runs the loop while this thread leads. */
  private void lead(Thread me) {
    InboundDelivery.Delivering self = InboundDelivery.current();
    leaderState = self;
    InboundDelivery.enter(this);
    try {
      while (leader == me && !source.stopping() && !self.rolesTakenOver()) {
        try {
          round(self);
        } catch (Throwable t) {
          if (source.fault(t)) {
            continue; // the source explained it (the hub was lost) and the loop stops
          }
          if (firstFailure == null) {
            firstFailure = t;
          }
          long heldBack = failureLog.admit();
          if (heldBack >= 0) {
            log.error("receive loop failed; continuing{}", LogThrottle.heldBackNote(heldBack), t);
          }
        }
      }
    } finally {
      InboundDelivery.leave(this);
    }
  }

  private void round(InboundDelivery.Delivering self) {
    int work = source.otherWork();
    HubTransport[] transports = source.transports();
    for (HubTransport t : transports) {
      if (t != null) {
        work += t.consumer().pollAsReceiver(BATCH);
        if (self.rolesTakenOver() || !isLoopThread()) {
          return; // a handler run on this frame gave the loop away, or had it taken: poll no other ring
        }
      }
    }
    if (!isLoopThread() || self.rolesTakenOver()) {
      return; // a handler this thread ran gave the loop away, or had it taken: it is another thread's now
    }
    if (work > 0) {
      spin.worked();
      quietWake = false;
      idleStretchNoted = false;
      return;
    }
    if (!quietWake && spin.keepSpinning() && !callersServeThemselves(transports)) {
      if (spin.yieldNow()) {
        // NOTE: a loop that never parks, when it is not alone on its core (the application's threads,
        // a caller spinning for its response, the other side's loop on a machine of two cores), lets
        // them run now rather than at the end of its time slice; alone, the yield returns at once.
        Thread.yield();
      } else {
        Thread.onSpinWait();
      }
      return;
    }
    int callerTakes = callerTakes(transports);
    quietWake = !park(transports);
    parkNanos = quietWake ? Math.min(parkNanos * 2, parkLimitNanos * 8) : parkLimitNanos;
    // A ring while blocking callers poll these rings is mostly for them (they spin for their own
    // responses): were the loop to learn from it and spin longer, it would take a core from them.
    spin.parked(!quietWake && callerTakes == callerTakes(transports));
    idleStretchNoted = false;
  }

  /**
   * True if this loop never parks (BUSY_SPIN) and, since it last had anything to do, blocking callers
   * looked at its rings for their responses: the frames are theirs, not the loop's, and a third
   * spinning thread on a machine of two cores takes a core from the caller or the other side's loop (a
   * 1 KiB call took 15 µs instead of 2). It then parks as BALANCED does. A frame that is not a
   * response wakes it (the caller holding the ring gives it back and rings, or the sender rings), and
   * so does a caller that stops spinning to park (see RingConsumer#callerParks), so that a slow call's
   * response is delivered at once. Looks count, not takes (the rule until then was two takes in a
   * row): a loop that spins while callers wait wins some of their responses, and each one it delivers
   * began its idle stretch anew, so it never parked (a 16 B call's p99 was 60 times its p50). Frames
   * for which no caller waits keep it spinning.
   */
  private boolean callersServeThemselves(HubTransport[] transports) {
    if (strategy.parks()) {
      return false;
    }
    int looks = callerLooks(transports);
    if (!idleStretchNoted) {
      idleStretchNoted = true;
      callerLooksWhenIdle = looks;
      return false;
    }
    return looks != callerLooksWhenIdle;
  }

  private static int callerLooks(HubTransport[] transports) {
    return sumOverConsumers(transports, RingConsumer::callerLooks);
  }

  private static int callerTakes(HubTransport[] transports) {
    return sumOverConsumers(transports, RingConsumer::callerTakes);
  }

  private static int sumOverConsumers(HubTransport[] transports, ToIntFunction<RingConsumer> count) {
    int n = 0;
    for (HubTransport t : transports) {
      if (t != null) {
        n += count.applyAsInt(t.consumer());
      }
    }
    return n;
  }

  /** Parks until rung or the park limit passes; false if it woke with nobody having rung. */
  private boolean park(HubTransport[] transports) {
    int sequence = doorbell.sequence();
    parked = true;
    boolean retrySoon = source.hasDeferredWork();
    for (HubTransport t : transports) {
      if (t != null) {
        t.consumer().receiverParking();
        retrySoon |= t.consumer().overflowDepth() > 0;
      }
    }
    // NOTE: the flags (and `parked`) must be visible before the rings are re-checked.
    SharedBuffer.fullFence();
    boolean pending = source.hasOtherWork() || source.stopping();
    for (HubTransport t : transports) {
      pending |= t != null && t.consumer().hasInboundForReceiver();
    }
    if (!pending) {
      // Frames queued by this thread wait for a consumer that does not ring us: look again soon.
      doorbell.await(sequence, retrySoon ? OVERFLOW_RETRY_NANOS : parkNanos);
    }
    parked = false;
    leaderWakes = leaderWakes + 1; // the leader's only: no lost update
    if (standbyAsleep) {
      LockSupport.unpark(standby); // it watches the leader while the leader is awake
    }
    for (HubTransport t : transports) {
      if (t != null) {
        t.consumer().receiverAwake();
      }
    }
    return pending || retrySoon || doorbell.sequence() != sequence;
  }

  /**
   * The leader is about to block (a handler it runs made a blocking call): hands the loop to an idle
   * follower, or to a new thread. Runs on the leader.
   */
  @Override
  public void relinquish() {
    Thread me = Thread.currentThread();
    if (leader != me) {
      return;
    }
    Follower f;
    while ((f = idleFollowers.pollFirst()) != null) {
      if (f.state.compareAndSet(IDLE, PROMOTED)) {
        leader = f.thread;
        LockSupport.unpark(f.thread);
        return;
      }
    }
    Thread t = newThread();
    leader = t;
    t.start();
  }

  /**
   * The standby's watch: while the leader is awake, look whether the leader or a holder of a ring's
   * consumer role has been in application code too long, and take its roles over; once the leader has
   * slept through a whole look, sleep until it wakes. Returns when this thread leads, or is no longer
   * the standby.
   *
   * <p>Each look ticks the {@link WatchClock} and comes when the first thread watched could be due:
   * after the whole limit if nobody was in application code or everybody had just entered it (whoever
   * entered since the last tick cannot be due before the next tick plus the limit), and after a long
   * run of such quiet looks, after up to four limits ({@link LookSchedule}). So a thread is taken over
   * after at least the limit and at most about twice it (counted from the last collection, see
   * CollectionPauses), or eight times it if it is the first to get stuck after a long quiet run; and a
   * busy loop whose handlers return at once wakes its standby once per four limits only.
   *
   * <p>On a machine of two cores each wake-up is a thread a spinning loop must make room for, and a
   * timed park costs a VM exit or two. So the standby runs with the batch policy ({@link
   * SchedulingPolicy}): its wake-ups take a free core, or wait for a busy one's slice to end, rather
   * than preempt a spinning loop. On a machine whose every core is busy, a thread stuck computing is
   * therefore taken over some time slices later (a late look restarts the clock, at most four times
   * in a row).
   */
  private void standBy(Thread me) {
    // Its looks must not preempt the loops it watches (see SchedulingPolicy); back to normal before it
    // leads, on every way out.
    boolean batch = SchedulingPolicy.setBatch(true);
    try {
      watch(me);
    } finally {
      if (batch) {
        SchedulingPolicy.setBatch(false);
      }
    }
  }

  /** The standby's watch (see {@link #standBy}). */
  private void watch(Thread me) {
    // This standby's own: made here, not with the loop, so that starting a loop never loads the JVM's
    // management beans.
    CollectionPauses pauses = new CollectionPauses();
    LookSchedule schedule = new LookSchedule(handOffAfterNanos);
    watchSchedule = schedule;
    long lookAfter = handOffAfterNanos / 2;
    // The tick current just after the last look published its own: a thread in application code at
    // that look entered at an older one (see LookSchedule). NOTE: it may be another loop's later tick;
    // a thread that entered between the two then counts as having stayed, which only ends a back-off.
    long previousTick = WatchClock.current();
    int pausedLooksInARow = 0;
    long wakesAtLastLook = -1;
    while (standby == me && !source.stopping()) {
      if (parked && leaderWakes == wakesAtLastLook) {
        // The leader has not woken since the last look and sleeps now: sleep until it wakes. (A leader
        // that parks and wakes between calls keeps the standby on its timed looks instead: a wake-up of
        // the standby on every wake of the leader costs more than a look per limit.)
        standbyAsleep = true;
        // NOTE: standbyAsleep is written before `parked` is read again; the leader writes `parked`
        // before it reads standbyAsleep. So either we see it awake, or it sees us asleep and wakes us.
        if (parked) {
          LockSupport.parkNanos(this, parkLimitNanos * 8);
        }
        standbyAsleep = false;
        lookAfter = handOffAfterNanos / 2;
        schedule.reset();
        previousTick = WatchClock.current();
        wakesAtLastLook = -1;
        continue;
      }
      wakesAtLastLook = leaderWakes;
      long parkedAt = System.nanoTime();
      LockSupport.parkNanos(this, lookAfter);
      long now = System.nanoTime();
      looks++; // the standby's only: no lost update
      boolean late = now - parkedAt - lookAfter > lateAfterNanos();
      // NOTE: `|`, not `||`: the collectors' count is read on every look, so that it stays current.
      if ((pauses.sinceLastLook() | late) && pausedLooksInARow < MAX_PAUSED_LOOKS_FORGIVEN) {
        // The JVM collected meanwhile, or this look comes late (another pause of the JVM, or no core was
        // free for a while): a watched thread caught in its code was held up as well, and ran none of
        // it then. Time in application code counts from now. Bounded: where the JVM collects all the
        // time, or the standby is always late, stuck threads are still taken over a few looks later.
        pausedLooksInARow++;
        WatchClock.tickAfterStall(now);
      } else {
        pausedLooksInARow = 0;
        WatchClock.tick(now);
      }
      long thisTick = WatchClock.current();
      long next = takeOverStuck(me, now, previousTick);
      previousTick = thisTick;
      if (next < 0) {
        // This thread leads now; someone else stands by.
        STANDBY.compareAndSet(this, me, null);
        promoteIdleToStandby();
        return;
      }
      lookAfter = schedule.afterLook(next, lastLookQuiet);
    }
  }

  /**
   * Takes the roles of a thread stuck in application code: the consumer roles it holds, and the
   * loop's leadership if it leads (then this thread leads). Returns -1 if this thread now leads, else
   * how long until the next look: until the first thread watched could be due, at most the limit.
   */
  private long takeOverStuck(Thread me, long now, long previousTick) {
    Thread stuckLeader = leader;
    InboundDelivery.Delivering ls = leaderState;
    long next = handOffAfterNanos;
    boolean quiet = true;
    boolean leaderTaken = false;
    boolean leaderJudged = stuckLeader != null && ls != null && ls.thread() == stuckLeader;
    if (leaderJudged) {
      quiet = !stayedSince(ls, previousTick);
      long left = ls.dueIn(handOffAfterNanos, now);
      if (left == 0) {
        left = judgeDue(ls);
      }
      leaderTaken = left == 0 && ls.tryTakeOver(handOffAfterNanos, now);
      next = Math.min(next, left);
    }
    for (HubTransport t : source.transports()) {
      if (t == null) {
        continue;
      }
      RingConsumer c = t.consumer();
      Thread owner = c.owner();
      InboundDelivery.Delivering os = c.ownerState();
      if (owner == null || os == null || os.thread() != owner) {
        continue;
      }
      if (leaderJudged && owner == stuckLeader) {
        // The leader's rings go with its leadership, judged once above: taken with it or not at all (a
        // ring taken from a leader left leading would stop the loop's thread with the loop still its).
        if (leaderTaken) {
          c.takeOverFrom(owner);
        }
        continue;
      }
      quiet &= !stayedSince(os, previousTick);
      long left = os.dueIn(handOffAfterNanos, now);
      if (left == 0) {
        left = judgeDue(os);
      }
      if (left == 0 && os.tryTakeOver(handOffAfterNanos, now)) {
        c.takeOverFrom(owner);
      } else {
        next = Math.min(next, left);
      }
    }
    lastLookQuiet = quiet;
    if (leaderTaken && LEADER.compareAndSet(this, stuckLeader, me)) {
      log.debug("{}: {} ran application code for over {} µs; {} took over receiving", name, stuckLeader.getName(),
          handOffAfterNanos / 1000, me.getName());
      takeOvers++;
      return -1;
    }
    // NOTE: never less than a small step, so that a thread due but not taken (it left its code at
    // that very moment) cannot make the standby spin.
    return Math.max(next, MIN_LOOK_NANOS);
  }

  /** True if {@code watched} is in a stay in application code it entered before {@code tick} was published. */
  private static boolean stayedSince(InboundDelivery.Delivering watched, long tick) {
    long entry = watched.applicationCodeEntry();
    return entry != 0 && entry < tick;
  }

  /**
   * For a thread in application code for the whole limit: 0 if it is stuck there (take it over), else
   * how long until the next look at it. A thread the kernel has asleep or waiting (a park, a sleep,
   * I/O, a lock) is stuck; so is one that has had a quarter of the limit of CPU time since it was first found
   * due in this stay (it computes). A runnable thread that has had less merely waits for a core —
   * spinning loops take every core of a small machine for time slices of a few milliseconds — and taking
   * it over would add one more runnable thread, not a core: it is looked at again a quarter limit later.
   * A thread whose state cannot be read is judged by time alone.
   */
  private long judgeDue(InboundDelivery.Delivering watched) {
    long entry = watched.applicationCodeEntry();
    KernelThread.Sample sample = entry == 0 ? null : KernelThread.sample(threads.getOrDefault(watched.thread(), 0));
    if (sample == null || !sample.runnable()) {
      dueButRunnable.remove(watched);
      return 0;
    }
    long[] mark = dueButRunnable.get(watched);
    if (mark == null || mark[0] != entry) {
      dueButRunnable.put(watched, new long[] {entry, sample.cpuNanos()});
    } else if (sample.cpuNanos() - mark[1] >= handOffAfterNanos / 4) {
      dueButRunnable.remove(watched);
      return 0;
    }
    return Math.max(handOffAfterNanos / 4, MIN_LOOK_NANOS);
  }

  /** How much later than it asked a look may come before it counts as late (see watch). */
  private long lateAfterNanos() {
    return Math.max(handOffAfterNanos / 4, MIN_LOOK_NANOS);
  }

  /** Looks in a row that restart the watch clock (see watch); the next one judges as usual. */
  private static final int MAX_PAUSED_LOOKS_FORGIVEN = 4;

  /** The shortest wait between two looks of the standby. */
  private static final long MIN_LOOK_NANOS = 20_000;

  /** Makes an idle follower the standby (it takes the job when it next looks), or starts one. */
  private void promoteIdleToStandby() {
    Follower f;
    while ((f = idleFollowers.pollFirst()) != null) {
      if (f.state.compareAndSet(IDLE, CALLED)) {
        LockSupport.unpark(f.thread); // it looks again, and finds the standby's job free
        return;
      }
    }
    Thread t = newThread();
    t.start();
  }

  /** The idle strategy this loop follows: the configured one, or LOW_CPU on one processor. */
  IdleStrategy strategy() {
    return strategy;
  }

  /** How long the loop spins now before it parks; Long.MAX_VALUE if it never parks. The leader's; tests. */
  long spinWindowNanos() {
    return spin.windowNanos();
  }

  /** How many times the standby took over from a thread stuck in application code. */
  long takeOvers() {
    return takeOvers;
  }

  /** How many times a standby looked for stuck threads. */
  long looks() {
    return looks;
  }

  /** The current standby's interval between quiet looks, in ns (0 before a standby watched). */
  long quietLookIntervalNanos() {
    LookSchedule s = watchSchedule;
    return s == null ? 0 : s.quietInterval();
  }

  /**
   * An idle follower waits to lead or to stand by; true when it should look again (promoted, or
   * called), false if it retired (idle too long) or the loop stops.
   */
  private boolean awaitPromotion(Follower self) {
    self.state.set(IDLE);
    // Most recently idle first: its caches are the warmest.
    idleFollowers.addFirst(self);
    long idleSince = System.nanoTime();
    for (;;) {
      if (self.state.get() == CALLED) {
        return true;
      }
      if (self.state.get() == PROMOTED) {
        // Promoted: the promoter sets `leader` right after its CAS.
        while (leader != self.thread) {
          if (source.stopping()) {
            return false;
          }
          Processors.waitForOther();
        }
        return true;
      }
      if (source.stopping()) {
        if (self.state.compareAndSet(IDLE, RETIRED)) {
          idleFollowers.remove(self);
          return false;
        }
        continue;
      }
      long idle = System.nanoTime() - idleSince;
      if (idle >= FOLLOWER_KEEP_ALIVE_NANOS) {
        if (self.state.compareAndSet(IDLE, RETIRED)) {
          idleFollowers.remove(self);
          return false;
        }
        continue; // promoted just now
      }
      LockSupport.parkNanos(this, FOLLOWER_KEEP_ALIVE_NANOS - idle);
    }
  }

  @Override
  public String toString() {
    Thread l = leader;
    return "ReceiveLoop{" + name + ", leader " + (l == null ? "none" : l.getName()) + ", " + threads.size() + " threads}";
  }
}
