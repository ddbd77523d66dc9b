/**
 * The API server's state folder holds every object, Secrets included: its files are the owner's alone
 * (0600), also when an older version left them readable to everyone, and a folder it makes is 0700.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { WriteAheadLog } from '../../local/apiserver/wal.js';

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe('the state folder', () => {
  test('is 0700 when made here, and its log and snapshot 0600, even when they were readable before', () => {
    // Prepare
    const parent = mkdtempSync(join(tmpdir(), 'drplan-state-'));
    dirs.push(parent);
    const dir = join(parent, 'apiserver');

    // Act
    const first = WriteAheadLog.open(dir);
    first.wal.close(first.state);
    for (const name of readdirSync(dir)) chmodSync(join(dir, name), 0o644);
    const second = WriteAheadLog.open(dir);
    const files = readdirSync(dir).filter((name) => !name.endsWith('.lock'));
    const modes = Object.fromEntries(files.map((name) => [name, modeOf(join(dir, name)).toString(8)]));
    second.wal.close(second.state);

    // Assess
    assert.equal(modeOf(dir).toString(8), '700');
    assert.deepEqual(modes, { 'snapshot.json': '600', 'wal.log': '600' });
    assert.equal(modeOf(join(dir, 'snapshot.json')).toString(8), '600', 'the snapshot written at close');
  });
});
