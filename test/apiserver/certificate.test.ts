/** The self-signed certificate made without openssl is valid for TLS on 127.0.0.1 and localhost. */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, test } from 'node:test';
import { createSecureContext as tlsContext } from 'node:tls';
import { createCertificate } from '../../local/apiserver/certificate.js';

describe('the server certificate', () => {
  test('a fresh certificate names 127.0.0.1 and localhost, is self-signed and is valid now', () => {
    const { cert } = createCertificate(new Date('2026-01-01T00:00:00Z'));
    const x509 = new X509Certificate(cert);
    assert.equal(x509.subjectAltName, 'IP Address:127.0.0.1, DNS:localhost');
    assert.equal(x509.ca, true);
    assert.equal(x509.verify(x509.publicKey), true);
    assert.ok(new Date(x509.validFrom) < new Date('2026-01-01T00:00:00Z'));
    assert.ok(new Date(x509.validTo) >= new Date('2028-12-30T00:00:00Z'));
  });

  test('every generated certificate loads into a TLS context (DER is minimal whatever the random serial)', () => {
    for (let i = 0; i < 300; i += 1) {
      const { cert, key } = createCertificate();
      assert.doesNotThrow(() => tlsContext({ cert, key }));
    }
  });
});
