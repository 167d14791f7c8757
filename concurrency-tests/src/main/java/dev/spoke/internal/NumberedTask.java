package dev.spoke.internal;

/**
 * A task that does nothing but carry a number, so a test can tell which task it got back from a
 * queue. Immutable.
 */
final class NumberedTask implements Runnable {

  final int number;

  NumberedTask(int number) {
    this.number = number;
  }

  /** The number of {@code task}, or 0 for null (nothing was there). */
  static int numberOf(Runnable task) {
    return task == null ? 0 : ((NumberedTask) task).number;
  }

  @Override
  public void run() {}

  @Override
  public String toString() {
    return "task " + number;
  }
}
