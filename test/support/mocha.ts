import { afterAll, afterEach, beforeEach, describe, it } from 'vitest';

/** A mocha test or hook body: synchronous, returning a promise, or calling `done`. */
type MochaBody = (this: unknown, done: (error?: unknown) => void) => unknown;

/** Runs a mocha-style body as vitest expects: a `done` callback becomes a promise. */
function asVitest(body: MochaBody): () => unknown {
  if (body.length === 0) return () => body.call({}, () => {});
  return () =>
    new Promise<void>((resolve, reject) => {
      body.call({}, (error?: unknown) => (error ? reject(error) : resolve()));
    });
}

const mocha: Record<string, unknown> = {
  // vitest runs a describe's body later, while it collects: the globals must be there then too.
  describe: (name: string, body: () => void) => describe(name, () => withMochaGlobals(body)),
  it: (name: string, body: MochaBody) => it(name, asVitest(body)),
  beforeEach: (body: MochaBody) => beforeEach(asVitest(body)),
  afterEach: (body: MochaBody) => afterEach(asVitest(body)),
  after: (body: MochaBody) => afterAll(asVitest(body)),
};

/** Defines mocha's globals while `body` runs, then puts back what was there. */
function withMochaGlobals(body: () => void): void {
  const globals = globalThis as Record<string, unknown>;
  const saved = Object.keys(mocha).map((name) => [name, globals[name]] as const);
  Object.assign(globals, mocha);
  try {
    body();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete globals[name];
      else globals[name] = value;
    }
  }
}

/**
 * Registers a test suite written for mocha's BDD interface (describe, it, beforeEach, afterEach,
 * after; `done` callbacks), such as a library's own conformance suite, as vitest tests. Mocha's
 * globals exist only while the suite's code runs.
 */
export function registerMochaSuite(register: () => void): void {
  withMochaGlobals(register);
}
