import { randomUUID } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { maxHeaderSize } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_CODES, type ErrorCode } from '../errors.js';
import { PROBLEM_CONTENT_TYPE, problemBody } from './problem.js';

/**
 * Requests Node's HTTP parser refuses before any route sees them (headers past the size limit,
 * malformed HTTP, a request not received in time) get the same problem+json as every other
 * refusal instead of Node's bare status line. Like Node's own handler, nothing is written once a
 * response has started on the connection, and the connection is closed after the answer.
 */
export function answerClientErrors(server: EventEmitter): void {
  server.on(
    'clientError',
    (err: NodeJS.ErrnoException, socket: Duplex & { bytesWritten?: number }) => {
      if (err.code === 'ECONNRESET' || !socket.writable || (socket.bytesWritten ?? 0) > 0) {
        socket.destroy();
        return;
      }
      const [code, detail, extra] = refusal(err);
      const { status, title } = ERROR_CODES[code];
      const requestId = randomUUID();
      const body = problemBody(code, detail, requestId, extra);
      socket.end(
        `HTTP/1.1 ${status} ${title}\r\n` +
          `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\n` +
          `X-Request-Id: ${requestId}\r\n` +
          'X-Content-Type-Options: nosniff\r\n' +
          'Connection: close\r\n\r\n' +
          body,
      );
    },
  );
}

function refusal(err: NodeJS.ErrnoException): [ErrorCode, string, Record<string, unknown>] {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [
        'headers_too_large',
        `the request line and headers must be at most ${maxHeaderSize} bytes together`,
        { limit: maxHeaderSize },
      ];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return ['payload_too_large', 'the chunk extensions are too large', {}];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return ['request_timeout', 'the request was not received in time', {}];
    default:
      return ['bad_request', `the request is not valid HTTP/1.1 (${reason(err)})`, {}];
  }
}

/** The parser's reason (`Invalid method encountered`), without the bytes it was reading. */
function reason(err: NodeJS.ErrnoException & { reason?: string }): string {
  return err.reason ?? err.code ?? 'unreadable';
}
