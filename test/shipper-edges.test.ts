// The LogShipper's edges that the core re-cut fixed: each test here failed on the code before it.
import { CloudWatchLogsClient, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { describe, expect, it, vi } from 'vitest';
import { Buffers } from '../src/buffers.js';
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

  it('answers log() and keeps the event when the check that answers it throws', async () => {
    // Prepare: a fault planted in the backpressure check, the last step of log().
    const shipper = makeShipper();
    const accepting = vi.spyOn(Buffers.prototype, 'accepting').mockImplementation(() => {
      throw new Error('planted');
    });
    // Act
    let answer: boolean | undefined;
    const warnings = await warningsDuring(() => {
      answer = shipper.log('kept');
    });
    accepting.mockRestore();
    await shipper.flush();
    // Assess: log() did not throw, did not ask the program to wait, and the event was not lost.
    expect(answer).toBe(true);
    expect(warnings.map((w) => w.code)).toEqual(['CWS_INTERNAL_ERROR']);
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

describe('LogShipper — found in review', () => {
  it('finishes flush() and close() when a whole take is out of the window', async () => {
    // Prepare: a first batch whose events are all too old, then newer ones behind it.
    const shipper = makeShipper({ maxBatchEvents: 10, flushIntervalMs: 60_000 });
    for (let i = 0; i < 10; i++) shipper.log({ message: `old ${i}`, timestamp: T0 - 15 * 24 * 3_600_000 });
    for (let i = 0; i < 5; i++) shipper.log(`new ${i}`);
    // Act
    const flushed = await shipper.flush();
    const closed = await shipper.close();
    // Assess
    expect(flushed).toEqual({ complete: true, remaining: 0 });
    expect(closed).toEqual({ complete: true, dropped: 0 });
    expect(expectBalanced(shipper)).toMatchObject({ sent: 5, dropped: { tooOld: 10 } });
  });

  it('writes the marker a stream is owed when no more events come, then lets the stream go', async () => {
    // Prepare: streams that got one late event each, and nothing after.
    const shipper = makeShipper();
    for (let i = 0; i < 20; i++)
      shipper.log({ message: 'late', timestamp: T0 - 15 * 24 * 3_600_000 }, { logStreamName: `req-${i}` });
    await shipper.flush();
    // Act
    await vi.advanceTimersByTimeAsync(15 * 60_000);
    // Assess
    const markers = cwl
      .commandCalls(PutLogEventsCommand)
      .filter((c) =>
        c.args[0].input.logEvents?.every((e) =>
          String(e.message).startsWith('cloudwatch-shipper: dropped 1 events'),
        ),
      );
    expect(markers).toHaveLength(20);
    expect(shipper.stats()).toMatchObject({ markers: 20, destinations: 1 });
  });

  it('routes a template given to log() by its expansion, never to a stream literally named like it', async () => {
    // Prepare: the default stream is literally `app-{date}` (written `app-{{date}}`).
    const shipper = makeShipper({ logStreamName: 'app-{{date}}' });
    shipper.log('literal');
    shipper.log({ message: 'dated', timestamp: T0 }, { logStreamName: 'app-{date}' });
    shipper.log('default stream, other group', { logGroupName: '/other' });
    await shipper.flush();
    // Assess
    const where = cwl
      .commandCalls(PutLogEventsCommand)
      .map((c) => `${c.args[0].input.logGroupName} ${c.args[0].input.logStreamName}`);
    expect(where.sort()).toEqual([
      '/other app-{date}',
      '/test/group app-2026-11-21',
      '/test/group app-{date}',
    ]);
    expect(shipper.stats().dropped.invalidDestination).toBe(0);
  });

  it('stores none of a split message whose first piece was refused', async () => {
    // Prepare: three pieces, one request each; the request with the first piece is refused.
    cwl.on(PutLogEventsCommand).callsFake(async (input: { logEvents?: { message?: string }[] }) => {
      if (input.logEvents?.some((e) => e.message?.startsWith('HEAD'))) {
        throw Object.assign(new Error('refused'), {
          name: 'InvalidParameterException',
          $metadata: { httpStatusCode: 400 },
        });
      }
      return {};
    });
    const shipper = makeShipper({ oversizedEvents: 'split' });
    shipper.on('error', () => {});
    const { restore } = captureWarnings();
    // Act
    try {
      shipper.log(`HEAD${'b'.repeat(2_500_000)}`);
      await shipper.flush();
    } finally {
      restore();
    }
    // Assess: nothing but the refused attempts; the message is one rejected event.
    const stored = cwl
      .commandCalls(PutLogEventsCommand)
      .filter((c) => !c.args[0].input.logEvents?.[0]?.message?.startsWith('HEAD'));
    expect(stored).toEqual([]);
    expect(expectBalanced(shipper)).toMatchObject({ sent: 0, dropped: { rejected: 1 } });
  });

  it('survives a clock that throws in its timer, and says so once', async () => {
    // Prepare: a clock that fails after the event was logged.
    let calls = 0;
    const shipper = makeShipper({
      now: () => {
        calls++;
        if (calls > 1) throw new Error('clock failed');
        return T0;
      },
    });
    const { warnings, restore } = captureWarnings();
    // Act
    try {
      shipper.log('logged');
      await vi.advanceTimersByTimeAsync(3_000);
    } finally {
      restore();
    }
    // Assess: still buffered and counted, nothing thrown out of the timer.
    expect(expectBalanced(shipper)).toMatchObject({ logged: 1, buffered: 1 });
    expect(warnings.map((w) => w.code)).toEqual(['CWS_INTERNAL_ERROR']);
    calls = Number.NEGATIVE_INFINITY;
  });
});
