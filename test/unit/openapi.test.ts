/** openapi.yaml is generated from the zod route declarations; the committed copy must be current and lint clean. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { openApiYaml } from '../../src/http/openapi';

describe('openapi.yaml', () => {
  it('is current (run `npm run openapi` after changing a route or schema)', () => {
    expect(readFileSync('openapi.yaml', 'utf8')).toBe(openApiYaml());
  });

  it('lints with zero errors (@redocly/cli recommended rules)', () => {
    let output = '';
    let code = 0;
    try {
      output = execFileSync(
        process.execPath,
        ['node_modules/@redocly/cli/bin/cli.js', 'lint', 'openapi.yaml', '--format', 'json'],
        {
          encoding: 'utf8',
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
    } catch (err) {
      const e = err as { status: number; stdout: string };
      code = e.status;
      output = e.stdout;
    }
    const report = JSON.parse(output.slice(output.indexOf('{'))) as {
      totals: { errors: number };
      problems: { message: string; severity: string }[];
    };
    expect(report.problems.filter((p) => p.severity === 'error').map((p) => p.message)).toEqual([]);
    expect(report.totals.errors).toBe(0);
    expect(code).toBe(0);
  });
});
