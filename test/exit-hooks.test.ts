import { afterEach, describe, expect, it } from 'vitest';
import { type ExitParticipant, registerForExit, unregisterForExit } from '../src/exit.js';

// The exit hooks in this process, with a participant of the test's own (test/exit.test.ts runs
// whole programs in child processes).
const registered: ExitParticipant[] = [];
afterEach(() => {
  for (const participant of registered.splice(0)) unregisterForExit(participant);
});

function participant(exitTimeoutMs: number, flushed: number[]): ExitParticipant {
  const made: ExitParticipant = {
    pending: () => 1,
    logged: () => 1,
    flush: async ({ timeoutMs }) => {
      flushed.push(timeoutMs);
      return { complete: true };
    },
    close: async () => ({}),
    exitTimeoutMs,
  };
  registerForExit(made);
  registered.push(made);
  return made;
}

describe('beforeExit', () => {
  it('flushes within exitTimeoutMs less what ending the process takes after it (25 ms)', async () => {
    const flushed: number[] = [];
    participant(2_000, flushed);
    process.emit('beforeExit', 0);
    // It looks once the program's own beforeExit listeners have run.
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushed).toEqual([1_975]);
  });

  it('flushes with no wait when exitTimeoutMs is shorter than that', async () => {
    const flushed: number[] = [];
    participant(10, flushed);
    process.emit('beforeExit', 0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushed).toEqual([0]);
  });
});
