// One upstream's relay: a TCP listener on 127.0.0.1, port 0, that the
// function's environment names in place of the server; every connection it
// accepts is relayed to the server (RelayConnection). It stops listening
// when the environment is gone; connections it relayed live on until they
// close (a held session until the server or the owner ends it).
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { NetworkError } from './errors';
import { RelayConnection, type RelayContext } from './relay-connection';

export interface ResolvedUpstream {
  name: string;
  host: string;
  port: number;
  hostVariable: string;
  portVariable: string;
}

export class Relay {
  private readonly listener: Server;
  private readonly live = new Set<RelayConnection>();
  private port = 0;

  constructor(readonly upstream: ResolvedUpstream, private readonly context: RelayContext) {
    this.listener = createServer({ allowHalfOpen: true }, (client) => this.accept(client));
  }

  /** '127.0.0.1:<port>' once listening. */
  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  get listeningPort(): number {
    return this.port;
  }

  /** Connections not yet closed on both sides (held sessions included). */
  get connections(): RelayConnection[] {
    return [...this.live];
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.listener.once('error', (cause: Error) => reject(new NetworkError(`the ${this.upstream.name} relay could not listen: ${cause.message}`, { upstream: this.upstream.name }, { cause })));
      this.listener.listen(0, '127.0.0.1', () => {
        this.port = (this.listener.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** No new connections; the ones relayed stay as they are. */
  close(): void {
    // Its callback would wait for every connection, held ones included: nobody waits for it.
    if (this.listener.listening) this.listener.close();
    this.listener.unref();
  }

  private accept(client: Socket): void {
    const connection = new RelayConnection(client, this.upstream, this.context);
    this.live.add(connection);
    void connection.done.then(() => this.live.delete(connection));
  }
}
