// The Extensions API client over its real socket transport, against a real
// HTTP server on 127.0.0.1:0.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiStatusError, ConfigurationError, ExtensionError, ProtocolError, TransportError } from '../../extension/errors';
import { ExtensionsApiClient } from '../../extension/extensions-api-client';
import { SocketHttpTransport, parseRuntimeApi } from '../../extension/http-transport';
import { ApiStatus, ExtensionEventType, ExtensionHeader, ExtensionPath, ShutdownReason } from '../../src/protocol/lambda-api';
import { LoopbackExtensionsApi, type LoopbackOptions } from '../../src/testing/loopback-extensions-api';

const shutdownEvent = { eventType: ExtensionEventType.shutdown, shutdownReason: ShutdownReason.spindown, deadlineMs: 1_700_000_002_000 };

describe('ExtensionsApiClient', () => {
  let api: LoopbackExtensionsApi;
  let transport: SocketHttpTransport;

  async function start(options: LoopbackOptions = {}): Promise<ExtensionsApiClient> {
    api = await LoopbackExtensionsApi.start(options);
    transport = new SocketHttpTransport(parseRuntimeApi(api.address, 'AWS_LAMBDA_RUNTIME_API'));
    return new ExtensionsApiClient(transport);
  }

  afterEach(async () => {
    transport?.close();
    await api?.close();
  });

  it('registers with the extension name header and the events as a JSON body', async () => {
    const client = await start();
    const response = await client.register('graceful-shutdown', [ExtensionEventType.shutdown]);

    const [request] = api.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(ExtensionPath.register);
    expect(request.headers[ExtensionHeader.name]).toBe('graceful-shutdown');
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({ events: ['SHUTDOWN'] });
    expect(response).toEqual({ functionName: 'loopback-fn', functionVersion: '$LATEST', handler: 'index.handler' });
    expect(client.identifier).toBe('ext-id-1');
  });

  it('sends the identifier from register on next, and returns the parsed event', async () => {
    const client = await start({ identifier: 'abc-123' });
    await client.register('graceful-shutdown', [ExtensionEventType.shutdown]);

    const next = client.nextEvent();
    const request = await api.waitFor(ExtensionPath.next);
    api.sendEvent(shutdownEvent);

    await expect(next).resolves.toEqual(shutdownEvent);
    expect(request.method).toBe('GET');
    expect(request.headers[ExtensionHeader.identifier]).toBe('abc-123');
  });

  it('reuses one keep-alive connection for register and next', async () => {
    const client = await start();
    await client.register('graceful-shutdown', [ExtensionEventType.shutdown]);
    const next = client.nextEvent();
    await api.waitFor(ExtensionPath.next);
    api.sendEvent(shutdownEvent);
    await next;

    expect(api.requests).toHaveLength(2);
    expect(api.requests[1].remotePort).toBe(api.requests[0].remotePort);
  });

  it('posts init/error with the error type header, the identifier and an ErrorRequest body', async () => {
    const client = await start();
    await client.register('graceful-shutdown', [ExtensionEventType.shutdown]);
    await client.initError('Extension.ConfigInvalid', new Error('DB_HOST is not set'));

    const request = await api.waitFor(ExtensionPath.initError);
    expect(request.method).toBe('POST');
    expect(request.headers[ExtensionHeader.functionErrorType]).toBe('Extension.ConfigInvalid');
    expect(request.headers[ExtensionHeader.identifier]).toBe('ext-id-1');
    const body = JSON.parse(request.body);
    expect(body).toMatchObject({ errorType: 'Extension.ConfigInvalid', errorMessage: 'DB_HOST is not set' });
    expect(Array.isArray(body.stackTrace)).toBe(true);
  });

  it('refuses to post init/error when register failed: Lambda requires the identifier it never handed out', async () => {
    const client = await start({ registerStatus: ApiStatus.forbidden });
    await expect(client.register('graceful-shutdown', [ExtensionEventType.shutdown])).rejects.toThrow(ApiStatusError);
    const sent = api.requests.length;

    await expect(client.initError('Extension.RegistrationFailed', 'refused')).rejects.toMatchObject({
      name: 'ExtensionError', context: { operation: 'initError' },
    });
    expect(api.requests).toHaveLength(sent);
  });

  it('runs against an API as strict as Lambda: a call without the registered identifier is refused with 403', async () => {
    await start();
    const raw = new SocketHttpTransport(parseRuntimeApi(api.address, 'AWS_LAMBDA_RUNTIME_API'));
    try {
      const response = await raw.request('POST', ExtensionPath.initError, { [ExtensionHeader.functionErrorType]: 'Extension.Test' }, '{}');
      expect(response.status).toBe(ApiStatus.forbidden);
    } finally {
      raw.close();
    }
  });

  it('posts exit/error with the identifier and the error type header', async () => {
    const client = await start();
    await client.register('graceful-shutdown', [ExtensionEventType.shutdown]);
    await client.exitError('Extension.UnexpectedEvent', new Error('INVOKE'));

    const request = await api.waitFor(ExtensionPath.exitError);
    expect(request.headers[ExtensionHeader.functionErrorType]).toBe('Extension.UnexpectedEvent');
    expect(request.headers[ExtensionHeader.identifier]).toBe('ext-id-1');
  });

  it('turns a refused registration into an ApiStatusError carrying the status, the operation and the body', async () => {
    const client = await start({ registerStatus: ApiStatus.forbidden });
    const error = await client.register('graceful-shutdown', [ExtensionEventType.shutdown]).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiStatusError);
    expect(error).toMatchObject({ name: 'ApiStatusError', status: 403, context: { operation: 'register', path: ExtensionPath.register } });
    expect((error as ApiStatusError).message).toContain('registration refused');
    expect(client.identifier).toBeUndefined();
  });

  it('rejects a register answer without an identifier header as a ProtocolError', async () => {
    const client = await start({ identifier: '' });
    await expect(client.register('graceful-shutdown', [])).rejects.toThrow(ProtocolError);
  });

  it('rejects a register answer whose body is not JSON as a ProtocolError', async () => {
    const client = await start({ registerBody: '<html>' });
    await expect(client.register('graceful-shutdown', [])).rejects.toMatchObject({ name: 'ProtocolError', context: { operation: 'register' } });
  });

  it('rejects an event of an unknown type as a ProtocolError naming the type', async () => {
    const client = await start();
    await client.register('graceful-shutdown', [ExtensionEventType.shutdown]);
    const next = client.nextEvent();
    await api.waitFor(ExtensionPath.next);
    api.sendEvent({ eventType: 'RESTORE' });

    await expect(next).rejects.toMatchObject({ name: 'ProtocolError', context: { eventType: 'RESTORE' } });
  });

  it('turns an error status on next into an ApiStatusError', async () => {
    const client = await start();
    await client.register('graceful-shutdown', [ExtensionEventType.shutdown]);
    const next = client.nextEvent();
    await api.waitFor(ExtensionPath.next);
    api.sendEvent({ errorMessage: 'boom' }, ApiStatus.internalError);

    await expect(next).rejects.toMatchObject({ name: 'ApiStatusError', status: 500, context: { operation: 'nextEvent' } });
  });

  it('refuses nextEvent before register, without sending anything', async () => {
    const client = await start();
    await expect(client.nextEvent()).rejects.toThrow(ExtensionError);
    expect(api.requests).toHaveLength(0);
  });

  it('refuses a second register', async () => {
    const client = await start();
    await client.register('graceful-shutdown', []);
    await expect(client.register('graceful-shutdown', [])).rejects.toThrow(/twice/);
    expect(api.requests).toHaveLength(1);
  });

  it('turns a connection failure into a TransportError with the cause and the endpoint', async () => {
    // A port that was just free: nothing listens there any more.
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    api = await LoopbackExtensionsApi.start();
    transport = new SocketHttpTransport({ host: '127.0.0.1', port });
    const client = new ExtensionsApiClient(transport);

    const error = await client.register('graceful-shutdown', []).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ context: { endpoint: `127.0.0.1:${port}`, path: ExtensionPath.register } });
    expect(((error as TransportError).cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });
});

describe('parseRuntimeApi', () => {
  it('reads host and port', () => {
    expect(parseRuntimeApi('127.0.0.1:9001', 'AWS_LAMBDA_RUNTIME_API')).toEqual({ host: '127.0.0.1', port: 9001 });
  });

  it('names the variable when it is missing', () => {
    expect(() => parseRuntimeApi(undefined, 'AWS_LAMBDA_RUNTIME_API')).toThrow(ConfigurationError);
    expect(() => parseRuntimeApi('', 'AWS_LAMBDA_RUNTIME_API')).toThrow(/AWS_LAMBDA_RUNTIME_API is not set/);
  });

  it('names the variable and the value when it is not host:port', () => {
    expect(() => parseRuntimeApi('localhost', 'AWS_LAMBDA_RUNTIME_API')).toThrow(/AWS_LAMBDA_RUNTIME_API must be host:port, got "localhost"/);
    expect(() => parseRuntimeApi('127.0.0.1:99999', 'AWS_LAMBDA_RUNTIME_API')).toThrow(ConfigurationError);
  });
});
