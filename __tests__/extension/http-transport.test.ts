// The extension's HTTP/1.1 over node:net: the response reader fed every way a
// response can arrive, and the transport against raw servers on 127.0.0.1:0
// that answer exactly the bytes a test chooses (node:http's own server would
// always frame them its one way).
import { spawn } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { TransportError } from '../../extension/errors';
import { HttpResponseError, HttpResponseReader, MAX_RESPONSE_BYTES, type HttpResponse } from '../../extension/http-response';
import { SocketHttpTransport } from '../../extension/http-transport';
import { PROJECT_ROOT } from '../../src/protocol/artifacts';

/** Feeds `text` to a reader in pieces of `size` bytes; returns what it answered and after how many bytes. */
function feed(text: string | Buffer, size: number): { response?: HttpResponse; consumed: number; reader: HttpResponseReader } {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
  const reader = new HttpResponseReader();
  for (let at = 0; at < bytes.length; at += size) {
    const response = reader.push(bytes.subarray(at, at + size));
    if (response) return { response, consumed: Math.min(at + size, bytes.length), reader };
  }
  return { consumed: bytes.length, reader };
}

const CHUNKED = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nLambda-Extension-Identifier: id-1\r\n\r\n5\r\n{"a":\r\n3;ext=1\r\n12}\r\n0\r\n\r\n';

describe('HttpResponseReader', () => {
  it.each([1, 3, 7, 1000])('reads a Content-Length body however the bytes arrive (pieces of %i)', (size) => {
    const { response, consumed } = feed('HTTP/1.1 200 OK\r\nContent-Length: 7\r\nX-Twice: a\r\nx-twice: b\r\n\r\n{"a":1}', size);
    expect(response).toEqual({ status: 200, headers: { 'content-length': '7', 'x-twice': 'a, b' }, body: Buffer.from('{"a":1}'), keepAlive: true });
    expect(consumed).toBe(Buffer.byteLength('HTTP/1.1 200 OK\r\nContent-Length: 7\r\nX-Twice: a\r\nx-twice: b\r\n\r\n{"a":1}'));
  });

  it.each([1, 4, 1000])('reads a chunked body, chunk extensions and trailers ignored (pieces of %i)', (size) => {
    expect(feed(CHUNKED, size).response).toMatchObject({ status: 200, body: Buffer.from('{"a":12}'), headers: { 'lambda-extension-identifier': 'id-1' } });
    const trailers = CHUNKED.replace('0\r\n\r\n', '0\r\nX-Trailer: t\r\n\r\n');
    expect(feed(trailers, size).response?.body.toString()).toBe('{"a":12}');
  });

  it('waits for the end of a chunked body, not the first empty chunk line it could mistake', () => {
    const reader = new HttpResponseReader();
    expect(reader.push(Buffer.from(CHUNKED.slice(0, -2)))).toBeUndefined();
    expect(reader.push(Buffer.from('\r\n'))?.body.toString()).toBe('{"a":12}');
  });

  it('skips a 100 Continue before the answer', () => {
    expect(feed('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\n{}', 5).response).toMatchObject({ status: 202, body: Buffer.from('{}') });
  });

  it('has no body for 204, and none kept open by Connection: close', () => {
    expect(feed('HTTP/1.1 204 No Content\r\n\r\n', 100).response).toMatchObject({ status: 204, body: Buffer.alloc(0), keepAlive: true });
    expect(feed('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', 100).response).toMatchObject({ keepAlive: false });
    expect(feed('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', 100).response).toMatchObject({ keepAlive: false });
  });

  it('reads a body framed by the end of the connection only when the connection ends', () => {
    const { response, reader } = feed('HTTP/1.1 200 OK\r\n\r\n{"late":true}', 4);
    expect(response).toBeUndefined();
    expect(reader.end()).toMatchObject({ status: 200, body: Buffer.from('{"late":true}'), keepAlive: false });
  });

  it('answers nothing when the connection ends inside a framed body', () => {
    const { reader } = feed('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{"a"', 100);
    expect(reader.end()).toBeUndefined();
  });

  it.each([
    ['a status line that is not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n'],
    ['a header line without a colon', 'HTTP/1.1 200 OK\r\nbroken\r\n\r\n'],
    ['a bad Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['a chunk without its CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd'],
    ['a protocol switch', 'HTTP/1.1 101 Switching Protocols\r\n\r\n'],
  ])('refuses %s', (_label, text) => {
    expect(() => feed(text, 1000)).toThrow(HttpResponseError);
  });

  it('refuses a head or a body beyond its bounds', () => {
    expect(() => feed(`HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}`, 4096)).toThrow(/head larger/);
    expect(() => feed(Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${MAX_RESPONSE_BYTES + 10}\r\n\r\n`), Buffer.alloc(MAX_RESPONSE_BYTES + 10)]), 1 << 20)).toThrow(/larger than/);
  });
});

/** A server that answers every request with `answer(requestIndex)` bytes, recording each request's connection. */
async function rawServer(answer: (index: number, socket: net.Socket) => string | undefined) {
  const seen: { remotePort: number; text: string }[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    let buffered = '';
    socket.on('data', (data) => {
      buffered += data.toString('latin1');
      for (let guard = 0; guard < 100; guard += 1) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end === -1) return;
        const length = Number(/content-length: (\d+)/i.exec(buffered.slice(0, end))?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        seen.push({ remotePort: socket.remotePort ?? 0, text: buffered.slice(0, end + 4 + length) });
        buffered = buffered.slice(end + 4 + length);
        const reply = answer(seen.length - 1, socket);
        if (reply !== undefined) socket.write(reply);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  // The transport parks keep-alive connections: close them, or server.close() would wait for them.
  const close = () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
  return { port, seen, close };
}

describe('SocketHttpTransport', () => {
  let transport: SocketHttpTransport | undefined;
  afterEach(() => transport?.close());

  it('writes an HTTP/1.1 request with Host, the headers and a JSON body, and reads a chunked answer', async () => {
    const server = await rawServer(() => CHUNKED);
    try {
      transport = new SocketHttpTransport({ host: '127.0.0.1', port: server.port });
      const response = await transport.request('POST', '/2020-01-01/extension/register', { 'lambda-extension-name': 'x' }, '{"events":[]}');
      expect(response).toEqual({ status: 200, headers: { 'transfer-encoding': 'chunked', 'lambda-extension-identifier': 'id-1' }, body: '{"a":12}' });
      expect(server.seen[0].text).toBe(`POST /2020-01-01/extension/register HTTP/1.1\r\nhost: 127.0.0.1:${server.port}\r\nlambda-extension-name: x\r\ncontent-type: application/json\r\ncontent-length: 13\r\n\r\n{"events":[]}`);
    } finally {
      await server.close();
    }
  });

  it('keeps the connection for the next request, and opens another after Connection: close', async () => {
    const server = await rawServer((i) => (i === 1
      ? 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}'
      : 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}'));
    try {
      transport = new SocketHttpTransport({ host: '127.0.0.1', port: server.port });
      for (let i = 0; i < 3; i += 1) await transport.request('GET', '/next', {});
      const ports = server.seen.map((request) => request.remotePort);
      expect(ports[1]).toBe(ports[0]);
      expect(ports[2]).not.toBe(ports[1]);
    } finally {
      await server.close();
    }
  });

  it('fails with a TransportError when the server closes in the middle of an answer', async () => {
    const server = await rawServer((_i, socket) => {
      socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"cut');
      return undefined;
    });
    try {
      transport = new SocketHttpTransport({ host: '127.0.0.1', port: server.port });
      const error = await transport.request('GET', '/next', {}).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TransportError);
      expect(error).toMatchObject({ context: { method: 'GET', path: '/next', endpoint: `127.0.0.1:${server.port}` } });
    } finally {
      await server.close();
    }
  });

  it('fails with a TransportError naming the cause when the answer is not HTTP', async () => {
    const server = await rawServer(() => 'SSH-2.0-OpenSSH\r\n\r\n');
    try {
      transport = new SocketHttpTransport({ host: '127.0.0.1', port: server.port });
      const error = await transport.request('GET', '/next', {}).catch((e: unknown) => e);
      expect(error).toMatchObject({ name: 'TransportError', cause: { name: 'HttpResponseError' } });
    } finally {
      await server.close();
    }
  });

  it('refuses a header value that would split the request, sending nothing', async () => {
    const server = await rawServer(() => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
    try {
      transport = new SocketHttpTransport({ host: '127.0.0.1', port: server.port });
      await expect(transport.request('GET', '/next', { 'lambda-extension-identifier': 'id\r\nx: y' })).rejects.toThrow(TransportError);
      expect(server.seen).toHaveLength(0);
    } finally {
      await server.close();
    }
  });

  it('lets the process exit while an unref\'d request waits for an answer that never comes', async () => {
    const server = await rawServer(() => undefined);
    try {
      const script = `const { SocketHttpTransport } = require(${JSON.stringify(path.join(PROJECT_ROOT, 'extension/http-transport'))});
        new SocketHttpTransport({ host: '127.0.0.1', port: ${server.port} }).request('GET', '/next', {}, undefined, { unref: true });`;
      const child = spawn(process.execPath, ['-r', require.resolve('tsx/cjs'), '-e', script], { stdio: 'ignore' });
      const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
      clearTimeout(killer);
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      expect(server.seen).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
