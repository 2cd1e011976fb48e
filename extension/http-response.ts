// Reads one HTTP/1.1 response off a socket, as it arrives: the status line,
// the headers, and a body framed by Content-Length, by chunked transfer
// coding, or by the end of the connection. Just what an answer of the Lambda
// Extensions API can be: no upgrades, no compression, no trailers kept.
// Everything is bounded, so a broken peer costs an error, never the memory.

/** The head and the body together, far above any event the API sends. */
export const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;
const MAX_HEAD_BYTES = 64 * 1024;
const CRLF = '\r\n';

export interface HttpResponse {
  status: number;
  /** Names in lower case; a repeated header's values joined with ", ". */
  headers: Record<string, string>;
  body: Buffer;
  /** Whether the connection may carry the next request. */
  keepAlive: boolean;
}

/** The bytes are not an HTTP/1.x response this reader accepts. */
export class HttpResponseError extends Error {
  override readonly name = 'HttpResponseError';
}

type Framing = { kind: 'length'; length: number } | { kind: 'chunked' } | { kind: 'close' };

interface Head {
  status: number;
  headers: Record<string, string>;
  keepAlive: boolean;
  framing: Framing;
}

function parseHead(text: string): Head {
  const [statusLine, ...lines] = text.split(CRLF);
  const match = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(statusLine);
  if (!match) throw new HttpResponseError(`not an HTTP/1.x status line: ${JSON.stringify(statusLine.slice(0, 100))}`);
  const status = Number(match[2]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HttpResponseError(`malformed header line: ${JSON.stringify(line.slice(0, 100))}`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const connection = (headers.connection ?? '').toLowerCase();
  let keepAlive = match[1] === '1' ? !/\bclose\b/.test(connection) : /\bkeep-alive\b/.test(connection);
  let framing: Framing;
  if (status === 204 || status === 304) {
    framing = { kind: 'length', length: 0 };
  } else if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) {
    framing = { kind: 'chunked' };
  } else if (headers['content-length'] !== undefined) {
    if (!/^\d+$/.test(headers['content-length'])) throw new HttpResponseError(`bad content-length: ${headers['content-length']}`);
    framing = { kind: 'length', length: Number(headers['content-length']) };
  } else {
    framing = { kind: 'close' };
    keepAlive = false;
  }
  return { status, headers, keepAlive, framing };
}

/** A complete chunked body at the start of `data`, or undefined while more is to come. */
function parseChunked(data: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let offset = 0;
  // Each pass consumes one chunk; a chunk is at least 5 bytes ("0\r\n\r\n").
  for (let guard = 0; guard <= data.length; guard += 1) {
    const lineEnd = data.indexOf(CRLF, offset);
    if (lineEnd === -1) return undefined;
    const sizeText = data.toString('latin1', offset, lineEnd).split(';')[0].trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new HttpResponseError(`bad chunk size: ${JSON.stringify(sizeText.slice(0, 20))}`);
    const size = parseInt(sizeText, 16);
    const start = lineEnd + 2;
    if (size === 0) {
      // The last chunk, then optional trailers (ignored) and an empty line.
      if (data.length >= start + 2 && data.toString('latin1', start, start + 2) === CRLF) return Buffer.concat(parts);
      return data.indexOf(`${CRLF}${CRLF}`, start - 2) === -1 ? undefined : Buffer.concat(parts);
    }
    if (data.length < start + size + 2) return undefined;
    if (data.toString('latin1', start + size, start + size + 2) !== CRLF) throw new HttpResponseError('chunk not followed by CRLF');
    parts.push(data.subarray(start, start + size));
    offset = start + size + 2;
  }
  throw new HttpResponseError('chunked body did not end');
}

/** Feed it the socket's data; it answers the response once it is complete. */
export class HttpResponseReader {
  private buffered: Buffer = Buffer.alloc(0);
  private head: Head | undefined;

  /** The response, once `data` completes it; undefined while more is to come. */
  push(data: Buffer): HttpResponse | undefined {
    this.buffered = this.buffered.length === 0 ? data : Buffer.concat([this.buffered, data]);
    if (this.buffered.length > MAX_RESPONSE_BYTES) throw new HttpResponseError(`response larger than ${MAX_RESPONSE_BYTES} bytes`);
    // 1xx answers (100 Continue) come before the real one: at most a few.
    for (let interim = 0; this.head === undefined; interim += 1) {
      const end = this.buffered.indexOf(`${CRLF}${CRLF}`);
      if (end === -1) {
        if (this.buffered.length > MAX_HEAD_BYTES) throw new HttpResponseError(`response head larger than ${MAX_HEAD_BYTES} bytes`);
        return undefined;
      }
      const head = parseHead(this.buffered.toString('latin1', 0, end));
      this.buffered = this.buffered.subarray(end + 4);
      if (head.status >= 200) this.head = head;
      else if (head.status === 101 || interim >= 10) throw new HttpResponseError(`unexpected interim response ${head.status}`);
    }
    const { framing } = this.head;
    if (framing.kind === 'length') {
      return this.buffered.length >= framing.length ? this.complete(this.buffered.subarray(0, framing.length)) : undefined;
    }
    if (framing.kind === 'chunked') {
      const body = parseChunked(this.buffered);
      return body === undefined ? undefined : this.complete(body);
    }
    return undefined;
  }

  /** The connection ended: complete only for a body framed by the end of the connection. */
  end(): HttpResponse | undefined {
    return this.head?.framing.kind === 'close' ? this.complete(this.buffered) : undefined;
  }

  private complete(body: Buffer): HttpResponse {
    const head = this.head as Head;
    return { status: head.status, headers: head.headers, body: Buffer.from(body), keepAlive: head.keepAlive };
  }
}
