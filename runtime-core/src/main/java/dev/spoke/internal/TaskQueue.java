package dev.spoke.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A queue of tasks for many producers and one consumer: an intrusive linked list after Dmitry Vyukov's
 * MPSC design. A producer swaps the tail to its node (one atomic instruction) and then links the old
 * tail to it; the consumer follows the links from a sentinel head. One node per task, nothing else.
 *
 * <p>{@link #offer} is thread-safe; {@link #poll} and {@link #isEmpty} belong to the one consumer at a
 * time (callers hand that role over with a happens-before edge, as the executors do with a flag).
 */
final class TaskQueue {

  private static final VarHandle TAIL;
  private static final VarHandle NEXT;

  static {
    try {
      MethodHandles.Lookup l = MethodHandles.lookup();
      TAIL = l.findVarHandle(TaskQueue.class, "tail", Node.class);
      NEXT = l.findVarHandle(Node.class, "next", Node.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private static final class Node {
    Runnable task;
    volatile Node next;

    Node(Runnable task) {
      this.task = task;
    }
  }

  @SuppressWarnings("unused") // accessed through TAIL
  private volatile Node tail;
  private Node head; // the consumer only

  TaskQueue() {
    Node sentinel = new Node(null);
    head = sentinel;
    tail = sentinel;
  }

  /**
   * The queue in the field {@code field} of {@code holder} (a volatile {@code TaskQueue} field that is
   * null until the first task must wait): made and set by CAS if there is none yet, so that racing
   * producers all get the same one. For executors that make their queue only when it is needed.
   */
  static TaskQueue inField(VarHandle field, Object holder) {
    TaskQueue q = (TaskQueue) field.getVolatile(holder);
    if (q == null) {
      TaskQueue made = new TaskQueue();
      q = field.compareAndSet(holder, null, made) ? made : (TaskQueue) field.getVolatile(holder);
    }
    return q;
  }

  void offer(Runnable task) {
    Node n = new Node(task);
    Node previous = (Node) TAIL.getAndSet(this, n);
    // NOTE: between the swap and this link the list is briefly cut; poll waits at the cut.
    NEXT.setRelease(previous, n);
  }

  /** The next task, or null when the queue is empty. */
  Runnable poll() {
    Node h = head;
    Node next = h.next;
    if (next == null) {
      if (h == TAIL.getVolatile(this)) {
        return null;
      }
      // A producer swapped the tail but has not linked yet: it is a few instructions away.
      while ((next = h.next) == null) {
        Processors.waitForOther();
      }
    }
    head = next;
    Runnable task = next.task;
    next.task = null;
    return task;
  }

  boolean isEmpty() {
    return head == TAIL.getVolatile(this);
  }
}
