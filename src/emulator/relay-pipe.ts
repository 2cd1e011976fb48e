// One direction of a relayed TCP connection: what is read from one socket is
// written to the other in order, the end (FIN) and a reset (RST) included.
// Backpressure is a pipe's: when the destination's buffer is full the source
// is paused until it drains, so a slow reader slows the writer instead of
// growing a queue. A closed gate (the environment is frozen) writes nothing
// and stops reading; what was already read waits, in order, for the gate to open.
import type { Socket } from 'node:net';

const FIN = Symbol('fin');
const RST = Symbol('rst');
type Item = Buffer | typeof FIN | typeof RST;

export class RelayPipe {
  private readonly waiting: Item[] = [];
  private blocked = false;
  private dropping = false;
  private gateOpen: boolean;

  constructor(private readonly from: Socket, private readonly to: Socket, open: boolean) {
    this.gateOpen = open;
    if (!open) from.pause();
  }

  /** A chunk read from `from`. */
  data(chunk: Buffer): void {
    this.put(chunk);
  }

  /** `from` sent its FIN. */
  end(): void {
    this.put(FIN);
  }

  /** `from` was reset: reset `to` too, after what came before. */
  reset(): void {
    this.put(RST);
  }

  /** Frozen: nothing more is written, nothing more read. */
  close(): void {
    this.gateOpen = false;
    if (!this.dropping) this.from.pause();
  }

  /** Thawed: what waited goes out, then reading resumes. */
  open(): void {
    this.gateOpen = true;
    this.flush();
  }

  /**
   * The path is gone: whatever waited is lost and whatever comes is read and
   * discarded (reading goes on, so the end of `from` is still noticed).
   */
  drop(): void {
    this.dropping = true;
    this.waiting.length = 0;
    this.from.resume();
  }

  /** Writes what waited and `chunk` at once, whatever the gate (a request that must reach the other end before the path fails). */
  forceWrite(chunk: Buffer): void {
    for (const item of this.waiting.splice(0)) this.emit(item);
    this.emit(chunk);
  }

  private put(item: Item): void {
    if (this.dropping) return;
    if (!this.gateOpen || this.blocked || this.waiting.length > 0) {
      this.waiting.push(item);
      this.from.pause();
      return;
    }
    this.emit(item);
  }

  private flush(): void {
    while (this.gateOpen && !this.blocked && !this.dropping) {
      const item = this.waiting.shift();
      if (item === undefined) break;
      this.emit(item);
    }
    if (this.gateOpen && !this.blocked && this.waiting.length === 0) this.from.resume();
  }

  private emit(item: Item): void {
    if (this.to.destroyed) return;
    if (item === FIN) {
      this.to.end();
      return;
    }
    if (item === RST) {
      // A socket still connecting cannot send an RST: it is simply torn down.
      if (this.to.connecting) this.to.destroy();
      else this.to.resetAndDestroy();
      return;
    }
    if (!this.to.write(item)) {
      this.blocked = true;
      this.from.pause();
      this.to.once('drain', () => {
        this.blocked = false;
        this.flush();
      });
    }
  }
}
