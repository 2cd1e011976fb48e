// One Init's worth of an environment: the processes started by that Init and
// the API state they talk to. A reset (timeout, failure) ends a generation;
// the next invoke starts a fresh one, with fresh registrations, exactly as
// Lambda re-runs the whole Init in a new sandbox.
import type { ApiRequest, Reply } from './api-server';
import { ExtensionsApi } from './extensions-api';
import type { SupervisedProcess } from './process-supervisor';
import { RuntimeApi } from './runtime-api';
import type { RegisterResponse } from '../protocol/lambda-api';

export class Generation {
  readonly runtimeApi: RuntimeApi;
  readonly extensionsApi: ExtensionsApi;
  /** External extension processes, in start (alphabetical) order. */
  readonly extensionProcesses: SupervisedProcess[] = [];
  runtime?: SupervisedProcess;
  /**
   * Awaited before the emulator SIGKILLs a process of this generation and at
   * the end of its shutdown: the environment's network goes with it.
   */
  environmentGoing: () => Promise<void> = () => Promise.resolve();

  constructor(
    readonly index: number,
    externalNames: ReadonlySet<string>,
    registration: RegisterResponse,
    changed: () => void,
    now: () => number,
    /** Managed Instances: concurrent invocations, and extensions may not subscribe to INVOKE. */
    readonly concurrent = false,
  ) {
    this.runtimeApi = new RuntimeApi(changed, now, concurrent);
    this.extensionsApi = new ExtensionsApi({ externalNames, registration, changed, now, invokeEvents: !concurrent });
  }

  get processes(): SupervisedProcess[] {
    return this.runtime ? [...this.extensionProcesses, this.runtime] : [...this.extensionProcesses];
  }

  /** Routes a request to the Extensions or Runtime API; false when neither knows the path. */
  route(request: ApiRequest, reply: Reply): boolean {
    return this.extensionsApi.handle(request, reply) || this.runtimeApi.handle(request, reply);
  }

  /** SIGSTOP every process group; resolves once the kernel reports each one stopped. */
  async freeze(): Promise<void> {
    for (const process of this.processes) process.freeze();
    await Promise.all(this.processes.map((process) => process.stopped()));
  }

  thaw(): void {
    for (const process of this.processes) process.thaw();
  }

  /** The runtime and every registered extension are waiting in `next`: the end of Init and of every invoke. */
  get allWaiting(): boolean {
    return this.runtimeApi.waiting && this.extensionsApi.registered.every((extension) => extension.waiting);
  }

  /** Managed Instances Init is over when this many runtime connections (one per worker) wait in `next`. */
  runtimeReady(workers: number): boolean {
    return this.runtimeApi.waitingCount >= workers && this.extensionsApi.registered.every((extension) => extension.waiting);
  }
}
