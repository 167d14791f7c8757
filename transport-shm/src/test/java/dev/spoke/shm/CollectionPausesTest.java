package dev.spoke.shm;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** A look after a collection knows of it: the standby restarts its watch clock then. */
class CollectionPausesTest {

  @Test
  void aLookAfterACollectionSeesIt() {
    CollectionPauses pauses = new CollectionPauses();
    System.gc();
    assertTrue(pauses.sinceLastLook(), "the first look after a collection did not see it");
    System.gc();
    assertTrue(pauses.sinceLastLook(), "a look after a second collection did not see it");
  }
}
