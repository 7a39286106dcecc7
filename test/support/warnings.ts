import { inspect } from 'node:util';
import { vi } from 'vitest';

export interface CapturedWarning {
  readonly message: string;
  readonly code: string | undefined;
  /** Everything `process.emitWarning` was given, inspected deeply: for tests that look for leaks. */
  readonly inspected: string;
}

/**
 * Process warnings from now until `restore()`, kept for the test to assert instead of printed on
 * the test run's standard error (which is what `process.on('warning')` alone leaves happening).
 */
export function captureWarnings(): { readonly warnings: CapturedWarning[]; restore(): void } {
  const warnings: CapturedWarning[] = [];
  const spy = vi.spyOn(process, 'emitWarning').mockImplementation((...args: unknown[]) => {
    const [warning, options, code] = args;
    const fromOptions =
      typeof options === 'object' && options !== null ? (options as { code?: unknown }).code : code;
    const fromError = warning instanceof Error ? (warning as { code?: unknown }).code : undefined;
    const found = fromOptions ?? fromError;
    warnings.push({
      message: warning instanceof Error ? warning.message : String(warning),
      code: typeof found === 'string' ? found : undefined,
      inspected: inspect(args, { depth: 10, showHidden: true }),
    });
  });
  return { warnings, restore: () => spy.mockRestore() };
}
