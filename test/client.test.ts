import { afterEach, describe, expect, it, vi } from 'vitest';

// The client on first use: each case imports src/client.ts afresh (vi.resetModules), so that the
// SDK is still loading when it sends, as in a program's first request (test/support/setup.ts has
// it loaded for every other test).
afterEach(() => {
  vi.useRealTimers();
  vi.resetModules();
});

async function freshClient(send: (command: unknown) => Promise<unknown>) {
  vi.resetModules();
  const { Client } = await import('../src/client.js');
  const { sdkIfLoaded } = await import('../src/sdk.js');
  const given = { send: vi.fn(send), config: {} };
  const client = new Client(given as never, {});
  return { client, given, sdkIfLoaded };
}

describe('Client, while the SDK loads', () => {
  it('sends once the SDK is there, the command built from it', async () => {
    const { client, given, sdkIfLoaded } = await freshClient(async () => ({ ok: true }));
    expect(sdkIfLoaded()).toBeUndefined();
    const result = await client.send(
      (sdk) => new sdk.CreateLogStreamCommand({ logGroupName: 'g', logStreamName: 's' }),
      {},
    );
    expect(result).toEqual({ ok: true });
    expect(given.send).toHaveBeenCalledTimes(1);
    const [command] = given.send.mock.calls[0] as unknown as [{ input: unknown }];
    expect(command.input).toEqual({ logGroupName: 'g', logStreamName: 's' });
  });

  it('never hands the client a request given up on while the SDK loaded', async () => {
    const { client, given, sdkIfLoaded } = await freshClient(async () => ({}));
    expect(sdkIfLoaded()).toBeUndefined();
    const controller = new AbortController();
    const sent = client.send(
      (sdk) => new sdk.CreateLogStreamCommand({ logGroupName: 'g', logStreamName: 's' }),
      {
        abortSignal: controller.signal,
      },
    );
    controller.abort(new Error('timed out'));
    await expect(sent).rejects.toThrow('timed out');
    expect(given.send).not.toHaveBeenCalled();
  });

  it("starts a request's timeout once the SDK is loaded, not while it loads", async () => {
    const { client, given, sdkIfLoaded } = await freshClient(async () => ({ ok: true }));
    vi.useFakeTimers();
    const sent = client.request(
      (sdk) => new sdk.CreateLogStreamCommand({ logGroupName: 'g', logStreamName: 's' }),
      new AbortController().signal,
      5,
    );
    expect(sdkIfLoaded()).toBeUndefined();
    // Far past the timeout before the SDK is there: a timeout armed at once would have fired.
    vi.advanceTimersByTime(1_000);
    await expect(sent).resolves.toEqual({ ok: true });
    expect(given.send).toHaveBeenCalledTimes(1);
  });

  it('times a request out from when it could go, and gives up on it while the SDK loads', async () => {
    const { client, given } = await freshClient(() => new Promise(() => {}));
    vi.useFakeTimers();
    const controller = new AbortController();
    const waiting = client.request(
      (sdk) => new sdk.CreateLogStreamCommand({ logGroupName: 'g', logStreamName: 's' }),
      controller.signal,
      5,
    );
    controller.abort(new Error('closed'));
    await expect(waiting).rejects.toThrow('closed');
    expect(given.send).not.toHaveBeenCalled();
    // Once loaded, a request that hangs ends at its timeout.
    const hanging = client.request(
      (sdk) => new sdk.CreateLogStreamCommand({ logGroupName: 'g', logStreamName: 's' }),
      new AbortController().signal,
      5,
    );
    const settled = expect(hanging).rejects.toThrow(/5 ms/);
    await vi.waitFor(() => expect(given.send).toHaveBeenCalledTimes(1));
    vi.advanceTimersByTime(5);
    await settled;
  });

  it('rejects, never throws, when the command cannot be built', async () => {
    const { client } = await freshClient(async () => ({}));
    const sent = client.send(() => {
      throw new TypeError('bad input');
    }, {});
    await expect(sent).rejects.toThrow('bad input');
  });
});
