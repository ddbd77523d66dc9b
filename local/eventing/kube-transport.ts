/**
 * A minimal Kubernetes client for the ApiServerSource: GET a path as JSON, or open a watch and read
 * its newline-delimited events, with the credentials and TLS settings of a kubeconfig (the local API
 * server's, or any cluster's) applied by @kubernetes/client-node.
 */
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { createInterface } from 'node:readline';
import type { KubeConfig } from '@kubernetes/client-node';

export class KubeHttpError extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'KubeHttpError';
    this.status = status;
  }
}

export interface KubeTransport {
  /** The API server URL of the kubeconfig's current cluster (the ApiServerSource's event `source`). */
  readonly server: string;
  getJson(path: string, signal: AbortSignal): Promise<unknown>;
  /** Each line of a streaming response (a watch), until it ends. */
  lines(path: string, signal: AbortSignal): AsyncIterable<string>;
}

async function readText(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The headers client-node put on the options (it always uses the object form). */
const headersOf = (options: RequestOptions): OutgoingHttpHeaders =>
  options.headers !== undefined && !Array.isArray(options.headers) ? (options.headers as OutgoingHttpHeaders) : {};

export function kubeTransport(kubeConfig: KubeConfig): KubeTransport {
  const cluster = kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error('the kubeconfig has no current cluster');
  const server = cluster.server.replace(/\/+$/, '');

  const open = async (path: string, signal: AbortSignal): Promise<IncomingMessage> => {
    const options: RequestOptions = {};
    await kubeConfig.applyToHTTPSOptions(options);
    const url = new URL(`${server}${path}`);
    const headers: OutgoingHttpHeaders = { ...headersOf(options), accept: 'application/json' };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const outgoing = send(url, { ...options, method: 'GET', headers, signal }, resolve);
      outgoing.on('error', reject);
      outgoing.end();
    });
    const status = response.statusCode ?? 0;
    if (status >= 200 && status < 300) return response;
    const text = await readText(response).catch(() => '');
    throw new KubeHttpError(status, `GET ${path}: HTTP ${status} ${text.slice(0, 300)}`);
  };

  return {
    server,
    async getJson(path, signal) {
      return JSON.parse(await readText(await open(path, signal))) as unknown;
    },
    async *lines(path, signal) {
      const response = await open(path, signal);
      const reader = createInterface({ input: response, crlfDelay: Infinity });
      try {
        for await (const line of reader) if (line.trim() !== '') yield line;
      } finally {
        reader.close();
        response.destroy();
      }
    },
  };
}
