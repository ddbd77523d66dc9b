/** An HTTP target for HTTP actions in bundle tests: records each request and answers 200. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TargetRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
}

export interface Target {
  url: string;
  requests: TargetRequest[];
  close(): Promise<void>;
}

export async function startTarget(): Promise<Target> {
  const requests: TargetRequest[] = [];
  const server: Server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      const key = request.headers['idempotency-key'];
      requests.push({ method: request.method ?? '', path: request.url ?? '', idempotencyKey: Array.isArray(key) ? key[0] : key });
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
}
