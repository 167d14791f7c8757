package dev.spoke.testing;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;

/** Every thread's stack, with the locks it holds and waits for: what a test prints when it finds a hang. */
public final class ThreadDump {

  private ThreadDump() {}

  /** A dump of every live thread of this JVM. */
  public static String all() {
    StringBuilder sb = new StringBuilder("thread dump of pid ").append(ProcessHandle.current().pid()).append(":\n");
    for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
      sb.append('"').append(info.getThreadName()).append("\" ").append(info.getThreadState());
      if (info.getLockName() != null) {
        sb.append(" on ").append(info.getLockName());
      }
      if (info.getLockOwnerName() != null) {
        sb.append(" owned by \"").append(info.getLockOwnerName()).append('"');
      }
      sb.append('\n');
      // ThreadInfo.toString cuts stacks at 8 frames; a hang needs the whole one.
      for (StackTraceElement frame : info.getStackTrace()) {
        sb.append("    at ").append(frame).append('\n');
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
