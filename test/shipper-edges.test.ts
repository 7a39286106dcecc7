// The LogShipper's edges that the core re-cut fixed: each test here failed on the code before it.
import { CloudWatchLogsClient, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { LogShipper } from '../src/shipper.js';
import { cwl, expectBalanced, makeShipper, sentMessages, shippers, T0 } from './support/shipper.js';
import { type CapturedWarning, captureWarnings } from './support/warnings.js';

/** The process warnings given while `run` runs (and the turns after it), kept instead of printed. */
async function warningsDuring(run: () => Promise<void> | void): Promise<CapturedWarning[]> {
  const { warnings, restore } = captureWarnings();
  try {
    await run();
    await vi.advanceTimersByTimeAsync(0);
    await new Promise((resolve) => process.nextTick(resolve));
  } finally {
    restore();
  }
  return warnings;
}

describe('LogShipper — options', () => {
  it('refuses an unknown option, naming it and the nearest known one', () => {
    const make = (extra: Record<string, unknown>) => () =>
      new LogShipper({ logGroupName: 'g', logStreamName: 's', ...extra } as never);
    expect(make({ logGroupClas: 'STANDARD' })).toThrow(ConfigError);
    expect(make({ flushIntervalMS: 10 })).toThrow(
      'Unknown option `flushIntervalMS`; did you mean `flushIntervalMs`?',
    );
    expect(make({ retry: { maxRetryTime: 1 } })).toThrow(
      /Unknown option `retry.maxRetryTime`; did you mean `retry.maxRetryTimeMs`/,
    );
    expect(make({ frobnicate: true })).toThrow(/^Unknown option `frobnicate`$/);
    // A key left undefined, as a spread of optional settings leaves it, is harmless.
    expect(
      make({ somethingUnset: undefined, client: new CloudWatchLogsClient({ region: 'us-east-1' }) }),
    ).not.toThrow();
    for (const shipper of shippers.splice(0)) void shipper.close();
  });

  it('refuses a bad client with a ConfigError, like every other option', () => {
    const attempt = () => new LogShipper({ logGroupName: 'g', logStreamName: 's', client: {} as never });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(expect.objectContaining({ code: 'CWS_CONFIG', option: 'client' }));
  });

  it('rejects a bad timeoutMs in flush() and close() with a ConfigError', async () => {
    const shipper = makeShipper();
    await expect(shipper.flush({ timeoutMs: -1 })).rejects.toThrow(ConfigError);
    await expect(shipper.close({ timeoutMs: Number.NaN })).rejects.toMatchObject({
      code: 'CWS_CONFIG',
      option: 'timeoutMs',
    });
  });
});

describe('LogShipper — waits', () => {
  it('reports an idle flush or close with an aborted signal as complete', async () => {
    const shipper = makeShipper();
    const signal = AbortSignal.abort();
    await expect(shipper.flush({ signal })).resolves.toEqual({ complete: true, remaining: 0 });
    await expect(shipper.close({ signal })).resolves.toEqual({ complete: true, dropped: 0 });
  });

  it('prints no listener warning when many flushes share one AbortSignal', async () => {
    // Prepare: requests that hang, so every flush waits on the signal.
    const shipper = makeShipper();
    cwl.on(PutLogEventsCommand).callsFake(() => new Promise(() => {}));
    shipper.log('waiting');
    const controller = new AbortController();
    // Act
    const warnings = await warningsDuring(async () => {
      const flushes = Array.from({ length: 25 }, () => shipper.flush({ signal: controller.signal }));
      await vi.advanceTimersByTimeAsync(0);
      controller.abort();
      const results = await Promise.all(flushes);
      expect(results.every((r) => r.complete === false)).toBe(true);
    });
    // Assess
    expect(warnings.filter((w) => w.inspected.includes('MaxListenersExceededWarning'))).toEqual([]);
  });
});

describe('LogShipper — internal faults', () => {
  it('counts a throw inside log() once, as internal, and says so once', async () => {
    // Prepare: a clock that fails, the only code of someone else's that log() runs.
    let broken = false;
    const shipper = makeShipper({
      now: () => {
        if (broken) throw new Error('clock broke');
        return T0;
      },
    });
    shipper.log('before');
    broken = true;
    // Act
    const warnings = await warningsDuring(() => {
      expect(shipper.log('lost')).toBe(true);
      expect(shipper.log('lost too')).toBe(true);
    });
    // Assess
    const stats = expectBalanced(shipper);
    expect(stats.dropped).toMatchObject({ internal: 2, empty: 0 });
    expect(warnings.map((w) => w.code)).toEqual(['CWS_INTERNAL_ERROR']);
    expect(warnings[0]?.message).not.toContain('lost');
    broken = false;
  });

  it('does not count an event twice when the throw comes after it was buffered', async () => {
    // Prepare: a fault planted in the step that follows buffering.
    const shipper = makeShipper();
    const scheduler = (shipper as unknown as { scheduler: { held(): void } }).scheduler;
    const held = vi.spyOn(scheduler, 'held').mockImplementation(() => {
      throw new Error('planted');
    });
    // Act
    await warningsDuring(() => {
      shipper.log('kept');
    });
    held.mockRestore();
    await shipper.flush();
    // Assess: buffered once, sent once, dropped never.
    const stats = expectBalanced(shipper);
    expect(stats).toMatchObject({ logged: 1, sent: 1, dropped: { internal: 0 } });
    expect(sentMessages()).toEqual(['kept']);
  });
});

describe('LogShipper — destinations', () => {
  it('lets go of streams after close, and of streams left idle while running', async () => {
    // Prepare
    const shipper = makeShipper();
    for (let i = 0; i < 2_000; i++) shipper.log('x', { logStreamName: `s${i}` });
    await shipper.flush();
    expect(shipper.stats().destinations).toBe(2_001);
    // Act: ten minutes of ticks with traffic to one stream only.
    for (let minute = 0; minute < 11; minute++) {
      shipper.log('still here', { logStreamName: 'busy' });
      await vi.advanceTimersByTimeAsync(60_000);
    }
    // Assess
    expect(shipper.stats().destinations).toBe(2);
    expect(sentMessages().filter((m) => m === 'x')).toHaveLength(2_000);
    await shipper.close();
    expect(shipper.stats().destinations).toBe(1);
  });

  it('makes a released stream again when it is used', async () => {
    const shipper = makeShipper();
    shipper.log('first', { logStreamName: 'again' });
    await vi.advanceTimersByTimeAsync(11 * 60_000);
    expect(shipper.stats().destinations).toBe(1);
    shipper.log('second', { logStreamName: 'again' });
    await shipper.flush();
    expect(shipper.stats().destinations).toBe(2);
    expect(sentMessages()).toEqual(['first', 'second']);
    expectBalanced(shipper);
  });

  it('names the refused group or stream in its warning, once per name', async () => {
    const shipper = makeShipper();
    const warnings = await warningsDuring(() => {
      for (let i = 0; i < 3; i++) shipper.log('x', { logStreamName: 'bad:name' });
      shipper.log('x', { logStreamName: 'other*bad' });
    });
    expect(warnings.map((w) => w.message)).toEqual([
      expect.stringContaining('"bad:name"'),
      expect.stringContaining('"other*bad"'),
    ]);
    expect(shipper.stats().dropped.invalidDestination).toBe(4);
  });
});

describe('LogShipper — rotating stream names', () => {
  it('holds a bounded number of destinations while a stream per hour rotates for two days', async () => {
    // Prepare: an event a minute, stamped now, to a stream named by its hour.
    const shipper = makeShipper({ logStreamName: 'rotating/{hour}', flushIntervalMs: 60_000 });
    let most = 0;
    // Act
    for (let minute = 0; minute < 48 * 60; minute++) {
      shipper.log(`minute ${minute}`);
      await vi.advanceTimersByTimeAsync(60_000);
      most = Math.max(most, shipper.stats().destinations);
    }
    // Assess: the streams of the last few hours at most, not 48.
    const streams = new Set(cwl.commandCalls(PutLogEventsCommand).map((c) => c.args[0].input.logStreamName));
    expect(streams.size).toBe(48);
    expect(most).toBeLessThanOrEqual(2);
    expect(expectBalanced(shipper).sent).toBe(48 * 60);
  });
});
