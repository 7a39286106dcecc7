import { describe, expect, it, vi } from 'vitest';
import { exitWaitMs, requestWithin, untilAborted } from '../src/timing.js';

describe('requestWithin', () => {
  it('does not send a request given up on already, with or without a timeout', async () => {
    const controller = new AbortController();
    controller.abort(new Error('closed'));
    for (const timeoutMs of [0, 1_000]) {
      const send = vi.fn(async () => 'sent');
      await expect(requestWithin(send, controller.signal, timeoutMs)).rejects.toThrow('closed');
      expect(send).not.toHaveBeenCalled();
    }
  });
});

describe('untilAborted', () => {
  it("leaves no rejection unhandled when the signal had aborted before: the promise's is taken", async () => {
    const unhandled: unknown[] = [];
    const record = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      const controller = new AbortController();
      controller.abort(new Error('closed'));
      let fail!: (error: Error) => void;
      const request = new Promise<never>((_, reject) => {
        fail = reject;
      });
      await expect(untilAborted(request, controller.signal)).rejects.toThrow('closed');
      fail(new Error('AbortError from the client'));
      // Unhandled rejections are told after the microtasks of the turn: wait a whole turn.
      await new Promise((resolve) => setTimeout(resolve, 0));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });
});

describe('exitWaitMs', () => {
  it('leaves 50 ms of exitTimeoutMs to the teardown, and never goes below 0', () => {
    expect(exitWaitMs(2_000)).toBe(1_950);
    expect(exitWaitMs(50)).toBe(0);
    expect(exitWaitMs(0)).toBe(0);
  });
});
