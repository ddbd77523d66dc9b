/**
 * A self-signed TLS certificate for 127.0.0.1/localhost, made with Node's crypto alone (no openssl):
 * an EC P-256 key and a minimal X.509 v3 certificate, DER-encoded by hand. kubectl sends credentials
 * only over TLS (client-go drops the token for `http://` servers), so the server speaks HTTPS too; the
 * kubeconfig carries this certificate as its CA. It is kept in the state folder and reused until it
 * nears expiry, so a kubeconfig stays valid across restarts.
 */
import { X509Certificate, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';

export interface Certificate {
  /** PEM */
  cert: string;
  /** PEM (PKCS#8) */
  key: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const VALID_DAYS = 3 * 365;

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};

const sequence = (...items: Buffer[]): Buffer => tlv(0x30, ...items);

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const chunk: number[] = [arc % 128];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) chunk.unshift((n % 128) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

const utcTime = (date: Date): Buffer => {
  const iso = date.toISOString();
  const text = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return tlv(0x17, Buffer.from(text, 'ascii'));
};

const name = (commonName: string): Buffer => sequence(tlv(0x31, sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(commonName, 'utf8')))));

const extension = (id: string, critical: boolean, value: Buffer): Buffer =>
  sequence(oid(id), ...(critical ? [tlv(0x01, Buffer.from([0xff]))] : []), tlv(0x04, value));

function extensions(): Buffer {
  const basicConstraints = extension('2.5.29.19', true, sequence(tlv(0x01, Buffer.from([0xff]))));
  // digitalSignature (bit 0) and keyCertSign (bit 5): 0b10000100, 2 unused bits.
  const keyUsage = extension('2.5.29.15', true, tlv(0x03, Buffer.from([0x02, 0x84])));
  const serverAuth = extension('2.5.29.37', false, sequence(oid('1.3.6.1.5.5.7.3.1')));
  const altNames = extension('2.5.29.17', false, sequence(tlv(0x87, Buffer.from([127, 0, 0, 1])), tlv(0x82, Buffer.from('localhost', 'ascii'))));
  return tlv(0xa3, sequence(basicConstraints, keyUsage, serverAuth, altNames));
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export function createCertificate(now: Date = new Date()): Certificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  // DER INTEGERs are minimal and signed: the first byte must be neither 0x00 (padding) nor ≥ 0x80 (negative).
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  const ecdsaWithSha256 = sequence(oid('1.2.840.10045.4.3.2'));
  const subject = name('drplan-local');
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))),
    tlv(0x02, serial),
    ecdsaWithSha256,
    subject,
    sequence(utcTime(new Date(now.getTime() - DAY_MS)), utcTime(new Date(now.getTime() + VALID_DAYS * DAY_MS))),
    subject,
    publicKey.export({ type: 'spki', format: 'der' }),
    extensions(),
  );
  const signature = sign('sha256', tbs, privateKey);
  const certificate = sequence(tbs, ecdsaWithSha256, tlv(0x03, Buffer.from([0]), signature));
  return { cert: pem('CERTIFICATE', certificate), key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() };
}

/** Usable for TLS and not within 30 days of expiry. */
function stillValid(certificate: Certificate, now: Date): boolean {
  try {
    createSecureContext({ cert: certificate.cert, key: certificate.key });
    return new Date(new X509Certificate(certificate.cert).validTo).getTime() - now.getTime() > 30 * DAY_MS;
  } catch {
    return false;
  }
}

/** The certificate kept in the state folder, or a new one (saved there) when missing or near expiry. */
export function stateCertificate(dir: string, now: Date = new Date()): Certificate {
  const certPath = join(dir, 'tls.crt');
  const keyPath = join(dir, 'tls.key');
  if (existsSync(certPath) && existsSync(keyPath)) {
    const stored = { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
    if (stillValid(stored, now)) return stored;
  }
  const fresh = createCertificate(now);
  writeFileSync(keyPath, fresh.key, { mode: 0o600 });
  writeFileSync(certPath, fresh.cert, { mode: 0o644 });
  return fresh;
}
