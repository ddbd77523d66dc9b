/**
 * One port, two protocols: a connection whose first byte is a TLS handshake record (0x16) goes to the
 * HTTPS server, anything else to the plain HTTP server. kubectl needs TLS to send its token; in-process
 * clients (tests, the Job controller, the local eventing) may use plain HTTP on the same port.
 */
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Certificate } from './certificate.js';

const TLS_HANDSHAKE = 0x16;

export interface DualServer {
  listen(port: number, host: string): Promise<AddressInfo>;
  close(): Promise<void>;
}

function route(socket: Socket, plain: HttpServer, secure: HttpsServer): void {
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

export function dualServer(listener: RequestListener, certificate: Certificate): DualServer {
  const plain = createHttpServer({ keepAliveTimeout: 30_000 }, listener);
  const secure = createHttpsServer({ key: certificate.key, cert: certificate.cert, keepAliveTimeout: 30_000 }, listener);
  const sockets = new Set<Socket>();
  const server: Server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    route(socket, plain, secure);
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
