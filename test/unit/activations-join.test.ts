/** joinStimulusIds: the one join of a layer's stimulus ids with a subject's images. */
import { describe, expect, it } from 'vitest';
import { joinStimulusIds } from '../../src/activations/align';

describe('joinStimulusIds', () => {
  it('keeps the wanted order and gives each match its row on both sides', () => {
    const layer = Int32Array.from([40, 10, 30, 99]);
    const subject = Int32Array.from([10, 20, 30, 40]);
    const j = joinStimulusIds(layer, subject);
    expect(Array.from(j.ids)).toEqual([10, 30, 40]);
    expect(Array.from(j.wantedRows)).toEqual([0, 2, 3]);
    expect(Array.from(j.rows)).toEqual([1, 2, 0]);
    expect(j.missing).toEqual([20]);
  });

  it('takes the last row of a repeated label (alignment runs never refused repeats)', () => {
    const j = joinStimulusIds([5, 6, 5], [5]);
    expect(Array.from(j.rows)).toEqual([2]);
  });
});
