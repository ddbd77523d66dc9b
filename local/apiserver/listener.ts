/**
 * One port, two protocols: a connection whose first byte is a TLS handshake record (0x16) goes to the
 * HTTPS server, anything else to the plain HTTP server. kubectl needs TLS to send its token; in-process
 * clients (tests, the Job controller, the local eventing) may use plain HTTP on the same port.
 */
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, Socket, type AddressInfo, type Server } from 'node:net';
import type { Certificate } from './certificate.js';

const TLS_HANDSHAKE = 0x16;

export interface ConnectionTimeouts {
  /** A connection's first request must have sent its headers within this long, or it is closed (default 10 s). */
  headersMs?: number | undefined;
}

export interface DualServer {
  listen(port: number, host: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

/**
 * The two HTTP servers never listen themselves (connections are handed to them), and Node checks their
 * `headersTimeout` only for servers that listen: this guard closes a connection whose first request's
 * headers have not arrived in time — silent, or trickling them (slowloris). Later requests on a
 * kept-alive connection are bounded by its keep-alive timeout.
 */
const awaitingHeaders = new WeakMap<Socket, NodeJS.Timeout>();

function guard(socket: Socket, ms: number): void {
  const timer = setTimeout(() => socket.destroy(), ms);
  timer.unref();
  awaitingHeaders.set(socket, timer);
  socket.once('close', () => {
    clearTimeout(timer);
  });
}

/** Clears the guard of the connection a request came on (over TLS, the raw socket beneath the TLS one). */
function headersArrived(socket: Socket & { _parent?: unknown }): void {
  const raw = socket._parent instanceof Socket ? socket._parent : socket;
  clearTimeout(awaitingHeaders.get(raw));
  awaitingHeaders.delete(raw);
}

function route(socket: Socket, plain: HttpServer, secure: HttpsServer, headersMs: number): void {
  // a connection that sends nothing at all is closed by the same guard
  guard(socket, headersMs);
  socket.once('data', (chunk: Buffer) => {
    socket.pause();
    socket.unshift(chunk);
    (chunk[0] === TLS_HANDSHAKE ? secure : plain).emit('connection', socket);
    process.nextTick(() => socket.resume());
  });
  socket.on('error', () => {
    socket.destroy();
  });
}

export function dualServer(listener: RequestListener, certificate: Certificate, timeouts: ConnectionTimeouts = {}): DualServer {
  const headersMs = timeouts.headersMs ?? 10_000;
  const limits = { keepAliveTimeout: 30_000 };
  const plain = createHttpServer(limits, listener);
  const secure = createHttpsServer({ key: certificate.key, cert: certificate.cert, ...limits }, listener);
  for (const http of [plain, secure]) {
    http.on('request', (request: { socket: Socket & { _parent?: unknown } }) => {
      headersArrived(request.socket);
    });
  }
  const sockets = new Set<Socket>();
  const server: Server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    route(socket, plain, secure, headersMs);
  });
  return {
    listen: (port, host) =>
      new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve(server.address() as AddressInfo);
        });
      }),
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
        for (const socket of sockets) socket.destroy();
      }),
  };
}
