/**
 * Fixed-size byte slots carved out of shared slabs, for the buffers of open blocks (every series
 * has one). A slot costs its bytes; its own ArrayBuffer would cost a typed array, an ArrayBuffer
 * and a backing store besides, several times the 136 bytes of a block: the bulk of a million
 * series' memory.
 *
 * A slot is a number (`take`); `slab(slot)` and `offset(slot)` locate its bytes. A slot handed out
 * is zeroed; one given back (`give`) may be handed out again at once, so its holder must not touch
 * it after. Slabs are kept for reuse, never returned to the system: the pool stays at its peak.
 */
export class SlotPool {
  readonly slotBytes: number;
  private readonly slotsPerSlab: number;
  private readonly slabs: Uint8Array[] = [];
  private readonly free: number[] = [];
  private next = 0;

  constructor(slotBytes: number, slabBytes = 64 * 1024) {
    this.slotBytes = slotBytes;
    this.slotsPerSlab = Math.max(1, Math.floor(slabBytes / slotBytes));
  }

  /** A zeroed slot. */
  take(): number {
    const reused = this.free.pop();
    if (reused !== undefined) {
      const off = this.offset(reused);
      this.slab(reused).fill(0, off, off + this.slotBytes);
      return reused;
    }
    const slot = this.next++;
    if (slot % this.slotsPerSlab === 0) this.slabs.push(new Uint8Array(this.slotsPerSlab * this.slotBytes));
    return slot;
  }

  /** Gives a slot back. */
  give(slot: number): void {
    this.free.push(slot);
  }

  /** The slab holding `slot`. */
  slab(slot: number): Uint8Array {
    return this.slabs[Math.floor(slot / this.slotsPerSlab)]!;
  }

  /** Where `slot` starts in its slab. */
  offset(slot: number): number {
    return (slot % this.slotsPerSlab) * this.slotBytes;
  }

  /** Slots handed out and not given back. */
  inUse(): number {
    return this.next - this.free.length;
  }
}
