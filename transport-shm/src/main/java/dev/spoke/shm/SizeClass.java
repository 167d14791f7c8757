package dev.spoke.shm;

/**
 * One size class of the slot pool: {@code slotCount} slots of {@code slotSize} bytes each.
 *
 * <p>Immutable.
 */
public final class SizeClass {
  private final int slotSize;
  private final int slotCount;

  private SizeClass(int slotSize, int slotCount) {
    if (slotSize < 64 || slotSize % 64 != 0) {
      throw new IllegalArgumentException("slot size must be a positive multiple of 64 bytes, got " + slotSize);
    }
    if (slotCount < 1 || slotCount >= SlotDescriptor.LINK_NIL) {
      throw new IllegalArgumentException("slot count must be in [1, 2^24 - 1), got " + slotCount);
    }
    this.slotSize = slotSize;
    this.slotCount = slotCount;
  }

  /** {@code slotCount} slots of {@code slotSize} bytes (a multiple of 64). */
  public static SizeClass of(int slotSize, int slotCount) {
    return new SizeClass(slotSize, slotCount);
  }

  /** Bytes per slot. */
  public int slotSize() {
    return slotSize;
  }

  /** Slots of this size. */
  public int slotCount() {
    return slotCount;
  }

  /** Bytes of slot data this class takes. */
  public long bytes() {
    return (long) slotSize * slotCount;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SizeClass && ((SizeClass) o).slotSize == slotSize && ((SizeClass) o).slotCount == slotCount;
  }

  @Override
  public int hashCode() {
    return slotSize * 31 + slotCount;
  }

  @Override
  public String toString() {
    return HubSnapshot.bytes(slotSize) + " x " + slotCount;
  }
}
