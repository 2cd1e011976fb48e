// One Lambda execution environment: the API server, the current generation of
// processes, and the lifecycle between them (init, invoke, freeze, shutdown,
// resets). On-demand, invokes run one at a time and the environment is frozen
// between them, as in Lambda. On Managed Instances up to maxConcurrency run
// at once and nothing is ever frozen; a reset (timeout, crash) is shared by
// every invoke in flight, and the next invokes share one new Init. Its
// network (one relay per upstream) freezes and thaws with it and goes with it.
import { randomBytes, randomUUID } from 'node:crypto';
import { ApiErrorType, ApiStatus, MAX_PAYLOAD_BYTES, SandboxErrorType, ShutdownReason } from '../protocol/lambda-api';
import { ComputeMode } from '../protocol/lambda-runtime';
import { ApiServer, type ApiRequest, type Reply } from './api-server';
import { Clock } from './clock';
import { ConcurrencySlots } from './concurrency-slots';
import { Condition } from './condition';
import { EnvironmentStateError, InitFailedError, InvalidOptionError } from './errors';
import { runtimeEnvironment } from './environment-variables';
import { Generation } from './generation';
import { listExtensions, runInit } from './init-sequence';
import { Network } from './network';
import { runInvocation } from './invocation';
import type { ResolvedOptions } from './options';
import { ReportRecorder } from './report';
import { runShutdownSequence } from './shutdown-sequence';
import type { Environment, EnvironmentReport, EnvironmentState, InvokeOptions, InvokeResult } from './types';

export class LambdaEnvironment implements Environment {
  readonly id = randomUUID();
  private readonly clock = new Clock();
  private readonly condition = new Condition();
  private readonly server = new ApiServer((request, reply) => this.route(request, reply));
  private readonly recorder: ReportRecorder;
  readonly network: Network;
  private generation?: Generation;
  private generations = 0;
  private currentState: EnvironmentState = 'running';
  private endFreeze?: () => void;
  private queue: Promise<unknown> = Promise.resolve();
  private shuttingDown = false;
  private shutdownResult?: Promise<EnvironmentReport>;
  private initInFlight?: Promise<void>;
  /** The Init running now, for concurrent invokes to share. */
  private initRunning?: Promise<void>;
  private resetInFlight?: Promise<void>;
  private readonly resets = new WeakMap<Generation, Promise<void>>();
  private readonly slots?: ConcurrencySlots;
  private address = '';

  constructor(private readonly options: ResolvedOptions) {
    this.network = new Network(options.network, this.clock);
    this.recorder = new ReportRecorder(this.id, options.label, this.clock, {
      runtime: options.runtime, nodeVersion: options.runtimeNodeVersion, nodeBinary: options.node.binary,
      computeMode: options.computeMode, ...options.managedInstances,
    }, () => this.network.report());
    if (options.managedInstances) this.slots = new ConcurrencySlots(options.managedInstances.maxConcurrency);
  }

  private get managedInstances(): boolean {
    return this.options.computeMode === ComputeMode.managedInstances;
  }

  get runtimeApi(): string {
    return this.address;
  }

  get state(): EnvironmentState {
    return this.currentState;
  }

  /** Listens, runs the first Init and freezes. On failure everything is stopped and the API closed. */
  async start(): Promise<this> {
    this.address = await this.server.listen();
    try {
      await this.network.start();
      await this.init();
    } catch (error) {
      this.currentState = 'shutdown';
      this.network.close();
      await this.server.close();
      throw error;
    }
    await this.freeze();
    return this;
  }

  invoke(event: unknown, options: InvokeOptions = {}): Promise<InvokeResult> {
    const timeoutMs = options.timeoutMs ?? this.options.timeoutMs;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      return Promise.reject(new InvalidOptionError('invoke.timeoutMs', `must be a positive integer, got ${timeoutMs}`));
    }
    if (this.slots) return this.slots.run(() => this.runInvoke(event, timeoutMs, options));
    const run = this.queue.then(() => this.runInvoke(event, timeoutMs, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async idle(ms: number): Promise<void> {
    await new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));
  }

  shutdown(reason: ShutdownReason = ShutdownReason.spindown): Promise<EnvironmentReport> {
    this.shutdownResult ??= this.runShutdown(reason);
    return this.shutdownResult;
  }

  report(): EnvironmentReport {
    return this.recorder.build();
  }

  private route(request: ApiRequest, reply: Reply): void {
    if (this.generation?.route(request, reply)) return;
    reply.error(ApiStatus.notFound, ApiErrorType.notFound, `no route for ${request.method} ${request.path}`);
  }

  private init(): Promise<void> {
    if (this.initRunning) return this.initRunning;
    const running = this.runInitPhase().finally(() => {
      if (this.initRunning === running) this.initRunning = undefined;
    });
    this.initRunning = running;
    this.initInFlight = running.catch(() => undefined);
    return running;
  }

  private async runInitPhase(): Promise<void> {
    const endPhase = this.recorder.begin('init');
    this.generations += 1;
    const extensionNames = listExtensions(this.options.extensionsDir);
    const generation = new Generation(this.generations, new Set(extensionNames), {
      functionName: this.options.functionName, functionVersion: '$LATEST', handler: this.options.handler,
    }, () => this.condition.notify(), () => this.clock.now(), this.managedInstances);
    generation.environmentGoing = () => this.network.environmentGoing();
    generation.runtimeApi.initFailing = () => this.network.environmentGoing();
    this.generation = generation;
    this.recorder.addGeneration(generation);
    const identity = {
      functionName: this.options.functionName, functionVersion: '$LATEST', memorySizeMb: this.options.memorySizeMb,
      region: this.options.region, handler: this.options.handler, taskRoot: this.options.handlerDir,
      logStreamName: `${new Date().toISOString().slice(0, 10).replace(/-/g, '/')}/[$LATEST]${this.id.replace(/-/g, '')}`,
    };
    try {
      await runInit(generation, {
        handlerDir: this.options.handlerDir,
        handler: this.options.handler,
        extensionsDir: this.options.extensionsDir,
        extensionNames,
        runtimeCommand: this.options.runtimeCommand,
        runtimeEnv: runtimeEnvironment(identity, this.address, this.network.functionEnv(this.options.env), this.options),
        timeoutMs: this.options.initTimeoutMs,
        ...(this.options.managedInstances ? { workers: this.options.managedInstances.workerCount } : {}),
      }, this.clock, this.condition, () => this.shuttingDown);
      endPhase(`generation ${generation.index}`);
    } catch (error) {
      this.generation = undefined;
      endPhase(`failed: ${(error as Error).message}`);
      throw error;
    }
  }

  private async freeze(): Promise<void> {
    // Managed Instances environments are never frozen: other invokes may be running, and Lambda does not freeze them.
    if (!this.generation || this.shuttingDown || this.managedInstances) return;
    this.currentState = 'frozen';
    this.endFreeze = this.recorder.begin('freeze');
    this.network.freeze();
    await this.generation.freeze();
  }

  /** The network first: what the server sent while frozen is in the function's kernel before its processes resume. */
  private async thaw(): Promise<void> {
    await this.network.thaw();
    if (!this.managedInstances) this.generation?.thaw();
    this.endFreeze?.();
    this.endFreeze = undefined;
    if (!this.shuttingDown) this.currentState = 'running';
  }

  private async runInvoke(event: unknown, timeoutMs: number, options: InvokeOptions): Promise<InvokeResult> {
    if (this.shuttingDown) throw new EnvironmentStateError(`environment ${this.options.label} is shut down`, 'invoke', { id: this.id });
    const payload = Buffer.from(JSON.stringify(event ?? null));
    if (payload.length > MAX_PAYLOAD_BYTES) {
      throw new EnvironmentStateError(`the event is ${payload.length} bytes, over the 6 MB limit`, 'invoke', { bytes: payload.length });
    }
    const requestId = randomUUID();
    const started = this.clock.now();
    let reinitialized = false;
    // A reset another invoke started finishes before this one looks at the generation.
    await this.resetInFlight;
    const stale = this.generation;
    if (stale && stale.processes.some((process) => !process.alive)) {
      // Something died between invokes (in the instant before a freeze): reset before handing out the event.
      await this.thaw();
      await this.startReset(stale, 'failure');
    }
    // On Managed Instances another invoke may have started the Init: wait for the same one.
    if (!this.generation || this.initRunning) {
      this.currentState = 'running';
      reinitialized = true;
      try {
        await this.init();
      } catch (error) {
        // Nothing is left running; the next invoke tries a new Init again.
        if (!this.shuttingDown) this.currentState = this.idleState;
        const message = error instanceof InitFailedError ? error.describe(500) : (error as Error).message;
        return { requestId, outcome: 'failure', payload: { errorType: SandboxErrorType.initFailed, errorMessage: message }, durationMs: round(this.clock.now() - started), reinitialized };
      }
    }
    const generation = this.generation as Generation;
    await this.thaw();
    const endPhase = this.recorder.begin('invoke');
    const result = await runInvocation(generation, {
      requestId, payload, timeoutMs, clock: this.clock, condition: this.condition,
      invokedFunctionArn: `arn:aws:lambda:${this.options.region}:000000000000:function:${this.options.functionName}`,
      traceId: traceId(),
      ...(options.clientContext ? { clientContext: JSON.stringify(options.clientContext) } : {}),
      ...(options.cognitoIdentity ? { cognitoIdentity: JSON.stringify(options.cognitoIdentity) } : {}),
      shuttingDown: () => this.shuttingDown,
    });
    endPhase(`${requestId} ${result.outcome}`);
    if (result.reset) {
      await this.startReset(generation, result.reset);
    } else {
      await this.freeze();
    }
    return { requestId, outcome: result.outcome, payload: result.payload, durationMs: round(this.clock.now() - started), reinitialized };
  }

  /** One reset per generation, however many invokes in flight saw it fail. */
  private startReset(generation: Generation, reason: 'timeout' | 'failure'): Promise<void> {
    const existing = this.resets.get(generation);
    if (existing) return existing;
    if (this.generation !== generation) return Promise.resolve();
    this.recorder.addReset(reason);
    const running = this.reset(generation, reason);
    this.resets.set(generation, running);
    this.resetInFlight = running;
    return running;
  }

  private async reset(generation: Generation, reason: 'timeout' | 'failure'): Promise<void> {
    if (this.shuttingDown) return;
    const endPhase = this.recorder.begin('shutdown');
    this.network.shutdownStarting();
    this.recorder.setShutdownFigures(await runShutdownSequence(generation, reason, this.clock));
    endPhase(`reset: ${reason}`);
    if (this.generation === generation) this.generation = undefined;
    this.currentState = this.idleState;
  }

  /** Between invokes: frozen on-demand; a Managed Instances environment keeps running. */
  private get idleState(): EnvironmentState {
    return this.managedInstances ? 'running' : 'frozen';
  }

  private async runShutdown(reason: ShutdownReason): Promise<EnvironmentReport> {
    this.shuttingDown = true;
    this.condition.notify();
    // An invoke in flight ends at once (it reports `failure`); an Init in flight
    // fails and kills its own processes; a reset in flight finishes its sequence.
    await this.initInFlight;
    await this.resetInFlight;
    const generation = this.generation;
    await this.thaw();
    this.recorder.setShutdownReason(reason);
    if (generation) {
      const endPhase = this.recorder.begin('shutdown');
      this.network.shutdownStarting();
      this.recorder.setShutdownFigures(await runShutdownSequence(generation, reason, this.clock));
      endPhase(reason);
    }
    this.generation = undefined;
    this.currentState = 'shutdown';
    this.network.close();
    await this.server.close();
    return this.recorder.build();
  }
}

function traceId(): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16).padStart(8, '0');
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}

const round = (ms: number) => Math.round(ms * 100) / 100;

