/** The newest-wins grid shared by the score matrix and the comparison matrix. */
import { describe, expect, it } from 'vitest';
import { gridOf, newestWins } from '../../src/services/score-matrices';

describe('newestWins', () => {
  it('keeps the first row of each key from rows ordered newest first', () => {
    const rows = [
      { layer: 'a', roi: 'V1', value: 3 },
      { layer: 'a', roi: 'V2', value: 2 },
      { layer: 'a', roi: 'V1', value: 1 },
    ];
    const cells = newestWins(rows, (r) => `${r.layer}|${r.roi}`);
    expect([...cells.keys()]).toEqual(['a|V1', 'a|V2']);
    expect(cells.get('a|V1')?.value).toBe(3);
  });
});

describe('gridOf', () => {
  it('lays cells out as grid[row][column]', () => {
    expect(gridOf(['a', 'b'], [1, 2, 3], (r, c) => `${r}${c}`)).toEqual([
      ['a1', 'a2', 'a3'],
      ['b1', 'b2', 'b3'],
    ]);
  });
});
