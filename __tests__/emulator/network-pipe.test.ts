// One direction of the relay, with stand-in sockets so every step is
// observable: backpressure (a full destination pauses the source until it
// drains), the gate (frozen: nothing written, nothing read, the FIN waits
// too), and a dropped path (what waited is lost, what comes is discarded).
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { RelayPipe } from '../../src/emulator/relay-pipe';

class Source extends EventEmitter {
  paused = false;
  pause() { this.paused = true; return this; }
  resume() { this.paused = false; return this; }
}

class Destination extends EventEmitter {
  readonly written: string[] = [];
  ended = false;
  full = false;
  destroyed = false;
  connecting = false;
  write(chunk: Buffer) { this.written.push(chunk.toString()); return !this.full; }
  end() { this.ended = true; }
  resetAndDestroy() { this.destroyed = true; }
  destroy() { this.destroyed = true; }
}

function pipe(open = true) {
  const from = new Source();
  const to = new Destination();
  return { from, to, pipe: new RelayPipe(from as unknown as Socket, to as unknown as Socket, open) };
}

const b = (text: string) => Buffer.from(text);

describe('a relay pipe', () => {
  it('pauses its source when the destination is full, and goes on in order once it drains', () => {
    const { from, to, pipe: p } = pipe();
    to.full = true;
    p.data(b('a'));
    expect(from.paused).toBe(true);
    p.data(b('b'));
    p.end();
    expect({ written: to.written, ended: to.ended }).toEqual({ written: ['a'], ended: false });
    to.full = false;
    to.emit('drain');
    expect({ written: to.written, ended: to.ended, paused: from.paused }).toEqual({ written: ['a', 'b'], ended: true, paused: false });
  });

  it('writes nothing and reads nothing while its gate is closed, the FIN included, then all of it in order', () => {
    const { from, to, pipe: p } = pipe();
    p.close();
    expect(from.paused).toBe(true);
    p.data(b('x'));
    p.end();
    expect({ written: to.written, ended: to.ended }).toEqual({ written: [], ended: false });
    p.open();
    expect({ written: to.written, ended: to.ended, paused: from.paused }).toEqual({ written: ['x'], ended: true, paused: false });
  });

  it('relays a reset after what came before it', () => {
    const { to, pipe: p } = pipe(false);
    p.data(b('before'));
    p.reset();
    expect(to.destroyed).toBe(false);
    p.open();
    expect({ written: to.written, destroyed: to.destroyed }).toEqual({ written: ['before'], destroyed: true });
  });

  it('loses what waited once the path is dropped, and keeps reading to discard', () => {
    const { from, to, pipe: p } = pipe(false);
    p.data(b('lost'));
    p.drop();
    p.data(b('discarded'));
    p.end();
    p.open();
    expect({ written: to.written, ended: to.ended, paused: from.paused }).toEqual({ written: [], ended: false, paused: false });
  });

  it('forces a request through whatever the gate, after what waited', () => {
    const { to, pipe: p } = pipe(false);
    p.data(b('first'));
    p.forceWrite(b('request'));
    expect(to.written).toEqual(['first', 'request']);
  });
});
