/** The dashboard's API types are generated from the route schemas; the committed copy must be current. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WEB_API_TYPES_FILE, webApiTypes } from '../../scripts/web-api-types';

describe('web/src/api-types.ts', () => {
  it('is current (run `npm run openapi` after changing a route or schema)', () => {
    expect(readFileSync(WEB_API_TYPES_FILE, 'utf8')).toBe(webApiTypes());
  });

  it('declares the shapes the pages read', () => {
    const text = readFileSync(WEB_API_TYPES_FILE, 'utf8');
    for (const name of ['Run', 'ScoreItem', 'ScoreMatrix', 'Job', 'JobProgress', 'Model', 'Dataset', 'Study', 'Sae'])
      expect(text).toContain(`export type ${name} = `);
    // nullable object: `type: [object, null]` keeps both.
    expect(text).toMatch(/export type JobProgress = \{[^}]*fraction: number;[^}]*\} \| null;/s);
  });
});
