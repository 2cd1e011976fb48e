// The Runtime API and Extensions API as a client sees them: a real server on
// 127.0.0.1:0, a raw node:http client, every status code the APIs answer with.
import { ApiServer } from '../../src/emulator/api-server';
import { Condition } from '../../src/emulator/condition';
import { Generation } from '../../src/emulator/generation';
import {
  ApiErrorType, ApiStatus, ExtensionEventType, ExtensionHeader, ExtensionPath, MAX_EXTENSIONS, MAX_PAYLOAD_BYTES,
  RuntimeHeader, RuntimePath, SandboxErrorType, ShutdownReason,
} from '../../src/protocol/lambda-api';
import { pendingAfter, rawRequest } from './support/raw-client';

const REGISTRATION = { functionName: 'contract-fn', functionVersion: '$LATEST', handler: 'index.handler' };
const EXTERNAL = 'external-ext';

let server: ApiServer;
let generation: Generation;
let api: string;
const condition = new Condition();

beforeEach(async () => {
  generation = new Generation(1, new Set([EXTERNAL]), REGISTRATION, () => condition.notify(), () => 0);
  server = new ApiServer((request, reply) => {
    if (!generation.route(request, reply)) reply.error(ApiStatus.notFound, ApiErrorType.notFound, 'no route');
  });
  api = await server.listen();
});

afterEach(async () => {
  await server.close();
});

const invocation = (requestId: string) => ({
  requestId, payload: Buffer.from('{"hello":"world"}'), deadlineEpochMs: Date.now() + 3_000,
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:contract-fn', traceId: 'Root=1-00000000-000000000000000000000000;Sampled=0',
});

/** Parks a `next` and hands it an invocation once the server has it. */
async function deliver(requestId: string) {
  const next = rawRequest(api, 'GET', RuntimePath.next);
  await condition.until(() => (generation.runtimeApi.waiting ? true : undefined), 2_000);
  generation.runtimeApi.deliver(invocation(requestId));
  return next;
}

async function register(name: string, events: string[] = [ExtensionEventType.invoke, ExtensionEventType.shutdown]) {
  return rawRequest(api, 'POST', ExtensionPath.register, { headers: { [ExtensionHeader.name]: name }, body: JSON.stringify({ events }) });
}

describe('Runtime API', () => {
  it('answers next with the event, Content-Length and every invocation header', async () => {
    const deliveredFrom = Date.now();
    const next = await deliver('req-1');
    const deliveredBy = Date.now();
    expect(next.status).toBe(ApiStatus.ok);
    expect(next.json()).toEqual({ hello: 'world' });
    expect(next.headers['content-length']).toBe(String(Buffer.byteLength('{"hello":"world"}')));
    expect(next.headers['transfer-encoding']).toBeUndefined();
    expect(next.headers[RuntimeHeader.requestId]).toBe('req-1');
    // The deadline the invocation was handed over with (its now + 3 s, taken
    // inside deliver()), passed through as is: true however slow the machine.
    const deadline = Number(next.headers[RuntimeHeader.deadlineMs]);
    expect({ notBefore: deadline >= deliveredFrom + 3_000, notAfter: deadline <= deliveredBy + 3_000 }).toEqual({ notBefore: true, notAfter: true });
    expect(next.headers[RuntimeHeader.invokedFunctionArn]).toMatch(/^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:contract-fn$/);
    expect(next.headers[RuntimeHeader.traceId]).toMatch(/^Root=1-/);
  });

  it('keeps next pending until there is an invocation', async () => {
    const next = rawRequest(api, 'GET', RuntimePath.next);
    expect(await pendingAfter(next, 100)).toBe(true);
    // On a slow machine the request may reach the server only now: deliver once it is there.
    await condition.until(() => (generation.runtimeApi.waiting ? true : undefined), 5_000);
    generation.runtimeApi.deliver(invocation('late'));
    expect((await next).status).toBe(ApiStatus.ok);
  });

  it('answers a second next while one is pending with 403', async () => {
    const first = rawRequest(api, 'GET', RuntimePath.next);
    await condition.until(() => (generation.runtimeApi.waiting ? true : undefined), 2_000);
    const second = await rawRequest(api, 'GET', RuntimePath.next);
    expect(second.status).toBe(ApiStatus.forbidden);
    expect(second.json()).toMatchObject({ errorType: ApiErrorType.invalidStateTransition });
    generation.runtimeApi.deliver(invocation('x'));
    await first;
  });

  it('answers next with 403 while the current invocation has no response', async () => {
    await deliver('busy');
    expect((await rawRequest(api, 'GET', RuntimePath.next)).status).toBe(ApiStatus.forbidden);
  });

  it('accepts the response with 202 and records it', async () => {
    await deliver('req-2');
    const res = await rawRequest(api, 'POST', RuntimePath.response('req-2'), { body: '{"ok":true}' });
    expect(res.status).toBe(ApiStatus.accepted);
    expect(generation.runtimeApi.answerTo('req-2')).toMatchObject({ kind: 'response' });
    expect(generation.runtimeApi.answerTo('req-2')?.body.toString()).toBe('{"ok":true}');
  });

  it('answers a second response for the same id with 403', async () => {
    await deliver('req-3');
    await rawRequest(api, 'POST', RuntimePath.response('req-3'), { body: '1' });
    const again = await rawRequest(api, 'POST', RuntimePath.response('req-3'), { body: '2' });
    expect(again.status).toBe(ApiStatus.forbidden);
    expect(generation.runtimeApi.answerTo('req-3')?.body.toString()).toBe('1');
  });

  it('answers a response before any invoke with 403', async () => {
    const res = await rawRequest(api, 'POST', RuntimePath.response('nobody'), { body: '{}' });
    expect(res.status).toBe(ApiStatus.forbidden);
    expect(res.json()).toMatchObject({ errorType: ApiErrorType.invalidStateTransition });
  });

  it('answers a response for an unknown request id with 400', async () => {
    await deliver('req-4');
    const res = await rawRequest(api, 'POST', RuntimePath.response('someone-else'), { body: '{}' });
    expect(res.status).toBe(ApiStatus.badRequest);
    expect(res.json()).toMatchObject({ errorType: ApiErrorType.invalidRequestId });
    expect(generation.runtimeApi.answerTo('req-4')).toBeUndefined();
  });

  it('answers an error with 202 and keeps the function error type', async () => {
    await deliver('req-5');
    const res = await rawRequest(api, 'POST', RuntimePath.error('req-5'), {
      headers: { [RuntimeHeader.functionErrorType]: 'Handled.Boom' }, body: '{"errorType":"Boom","errorMessage":"no"}',
    });
    expect(res.status).toBe(ApiStatus.accepted);
    expect(generation.runtimeApi.answerTo('req-5')).toMatchObject({ kind: 'error', errorType: 'Handled.Boom' });
  });

  it('answers a response over 6 MB with 413, failing the invocation as Function.ResponseSizeTooLarge', async () => {
    await deliver('req-6');
    const res = await rawRequest(api, 'POST', RuntimePath.response('req-6'), { body: Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x61) });
    expect(res.status).toBe(ApiStatus.payloadTooLarge);
    expect(res.json()).toMatchObject({ errorType: ApiErrorType.requestTooLarge });
    expect(generation.runtimeApi.answerTo('req-6')).toMatchObject({ kind: 'error', errorType: SandboxErrorType.responseTooLarge });
    const next = rawRequest(api, 'GET', RuntimePath.next);
    expect(await pendingAfter(next, 50)).toBe(true);
    await condition.until(() => (generation.runtimeApi.waiting ? true : undefined), 5_000);
    generation.runtimeApi.deliver(invocation('req-7'));
    expect((await next).status).toBe(ApiStatus.ok);
  });

  it('accepts a response of exactly 6 MB', async () => {
    await deliver('req-8');
    expect((await rawRequest(api, 'POST', RuntimePath.response('req-8'), { body: Buffer.alloc(MAX_PAYLOAD_BYTES, 0x61) })).status)
      .toBe(ApiStatus.accepted);
  });

  it('accepts init/error with 202 during init and refuses it with 403 after', async () => {
    const during = await rawRequest(api, 'POST', RuntimePath.initError, {
      headers: { [RuntimeHeader.functionErrorType]: 'Runtime.ImportModuleError' }, body: '{"errorMessage":"x","errorType":"y"}',
    });
    expect(during.status).toBe(ApiStatus.accepted);
    expect(generation.runtimeApi.initError).toMatchObject({ errorType: 'Runtime.ImportModuleError' });
    generation.runtimeApi.closeInit();
    expect((await rawRequest(api, 'POST', RuntimePath.initError, { body: '{}' })).status).toBe(ApiStatus.forbidden);
  });

  it('answers an unknown path with 404', async () => {
    expect((await rawRequest(api, 'GET', '/2018-06-01/runtime/nothing')).status).toBe(ApiStatus.notFound);
  });
});

describe('Extensions API', () => {
  it('registers with 200, an identifier header and the function identity', async () => {
    const res = await register(EXTERNAL);
    expect(res.status).toBe(ApiStatus.ok);
    expect(res.headers[ExtensionHeader.identifier]).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.json()).toEqual(REGISTRATION);
  });

  it('registers a name from the extensions directory as external and any other as internal', async () => {
    await register(EXTERNAL);
    await register('in-process', [ExtensionEventType.invoke]);
    expect(generation.extensionsApi.registered.map((e) => [e.name, e.kind])).toEqual([[EXTERNAL, 'external'], ['in-process', 'internal']]);
  });

  it('refuses an internal extension subscribing to SHUTDOWN with 403', async () => {
    const res = await register('in-process', [ExtensionEventType.shutdown]);
    expect(res.status).toBe(ApiStatus.forbidden);
    expect(generation.extensionsApi.registered).toHaveLength(0);
  });

  it('refuses a registration without a name with 403 and an unknown event type with 400', async () => {
    expect((await rawRequest(api, 'POST', ExtensionPath.register, { body: '{"events":[]}' })).status).toBe(ApiStatus.forbidden);
    expect((await register(EXTERNAL, ['LOGS'])).status).toBe(ApiStatus.badRequest);
  });

  it(`refuses the ${MAX_EXTENSIONS + 1}th extension with 403`, async () => {
    for (let i = 0; i < MAX_EXTENSIONS; i += 1) expect((await register(`internal-${i}`, [])).status).toBe(ApiStatus.ok);
    const res = await register('one-too-many', []);
    expect(res.status).toBe(ApiStatus.forbidden);
    expect(res.json()).toMatchObject({ errorType: ApiErrorType.extensionTooMany });
  });

  it('refuses a registration after init closed with 403', async () => {
    generation.extensionsApi.closeRegistration();
    const res = await register(EXTERNAL);
    expect(res.status).toBe(ApiStatus.forbidden);
    expect(res.json()).toMatchObject({ errorType: ApiErrorType.extensionRegistrationClosed });
  });

  it('answers event/next without an identifier, or with an unknown one, with 403 (as AWS does)', async () => {
    const missing = await rawRequest(api, 'GET', ExtensionPath.next);
    expect(missing.status).toBe(ApiStatus.forbidden);
    expect(missing.json()).toMatchObject({ errorType: ApiErrorType.extensionMissingIdentifier });
    const unknown = await rawRequest(api, 'GET', ExtensionPath.next, { headers: { [ExtensionHeader.identifier]: '00000000-0000-0000-0000-000000000000' } });
    expect(unknown.status).toBe(ApiStatus.forbidden);
    expect(unknown.json()).toMatchObject({ errorType: ApiErrorType.extensionUnknownIdentifier });
  });

  it('delivers INVOKE and a lowercase-reason SHUTDOWN through event/next', async () => {
    const id = (await register(EXTERNAL)).headers[ExtensionHeader.identifier] as string;
    const [extension] = generation.extensionsApi.registered;
    extension?.enqueue({
      eventType: ExtensionEventType.invoke, deadlineMs: 123, requestId: 'r1', invokedFunctionArn: 'arn:x',
      tracing: { type: 'X-Amzn-Trace-Id', value: 'Root=1-a' },
    });
    const invoke = await rawRequest(api, 'GET', ExtensionPath.next, { headers: { [ExtensionHeader.identifier]: id } });
    expect(invoke.status).toBe(ApiStatus.ok);
    expect(invoke.headers['content-length']).toBeDefined();
    expect(invoke.json()).toEqual({
      eventType: 'INVOKE', deadlineMs: 123, requestId: 'r1', invokedFunctionArn: 'arn:x', tracing: { type: 'X-Amzn-Trace-Id', value: 'Root=1-a' },
    });
    const shutdown = rawRequest(api, 'GET', ExtensionPath.next, { headers: { [ExtensionHeader.identifier]: id } });
    expect(await pendingAfter(shutdown, 50)).toBe(true);
    extension?.enqueue({ eventType: ExtensionEventType.shutdown, shutdownReason: ShutdownReason.spindown, deadlineMs: 456 });
    expect((await shutdown).json()).toEqual({ eventType: 'SHUTDOWN', shutdownReason: 'spindown', deadlineMs: 456 });
    expect(extension?.received).toEqual(['INVOKE', 'SHUTDOWN']);
  });

  it('answers a second pending event/next of the same extension with 403', async () => {
    const id = (await register(EXTERNAL)).headers[ExtensionHeader.identifier] as string;
    const first = rawRequest(api, 'GET', ExtensionPath.next, { headers: { [ExtensionHeader.identifier]: id } });
    await condition.until(() => (generation.extensionsApi.registered[0]?.waiting ? true : undefined), 2_000);
    const second = await rawRequest(api, 'GET', ExtensionPath.next, { headers: { [ExtensionHeader.identifier]: id } });
    expect(second.status).toBe(ApiStatus.forbidden);
    generation.extensionsApi.registered[0]?.enqueue({ eventType: ExtensionEventType.shutdown, shutdownReason: ShutdownReason.spindown, deadlineMs: 1 });
    await first;
  });

  it('accepts init/error and exit/error with 202 and records the error type', async () => {
    const id = (await register(EXTERNAL)).headers[ExtensionHeader.identifier] as string;
    const headers = { [ExtensionHeader.identifier]: id, [ExtensionHeader.functionErrorType]: 'Extension.Boom' };
    expect((await rawRequest(api, 'POST', ExtensionPath.initError, { headers, body: '{}' })).status).toBe(ApiStatus.accepted);
    expect((await rawRequest(api, 'POST', ExtensionPath.exitError, { headers, body: '{}' })).status).toBe(ApiStatus.accepted);
    expect(generation.extensionsApi.registered[0]?.report().errors).toEqual(['Extension.Boom', 'Extension.Boom']);
  });

  it('refuses init/error and exit/error without the error type header or an identifier with 403', async () => {
    const id = (await register(EXTERNAL)).headers[ExtensionHeader.identifier] as string;
    expect((await rawRequest(api, 'POST', ExtensionPath.exitError, { headers: { [ExtensionHeader.identifier]: id }, body: '{}' })).status)
      .toBe(ApiStatus.forbidden);
    expect((await rawRequest(api, 'POST', ExtensionPath.initError, { headers: { [ExtensionHeader.functionErrorType]: 'X' }, body: '{}' })).status)
      .toBe(ApiStatus.forbidden);
  });
});
