import { describe, expect, it } from 'vitest';
import { canonicalJson, requestHash } from '../../src/services/request-hash';
import { canonicalFolds, type FoldsSpec } from '../../src/services/folds';

describe('canonicalJson', () => {
  it('sorts keys at every depth and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });
  it('keeps nested members that a key-list replacer would drop', () => {
    expect(canonicalJson({ folds: { k: 3, seed: 12345 } })).toBe('{"folds":{"k":3,"seed":12345}}');
  });
  it('leaves out undefined members as JSON does', () => {
    expect(canonicalJson({ a: undefined, b: 2 })).toBe('{"b":2}');
  });
});

describe('requestHash', () => {
  it('differs whenever any nested value differs, and not for key order', () => {
    const h = (folds: object) => requestHash('alignment', { preset: 'paper', folds });
    expect(h({ k: 5, seed: 0 })).not.toBe(h({ k: 3, seed: 12345 }));
    expect(h({ k: 5, seed: 0 })).toBe(h({ seed: 0, k: 5 }));
    expect(h({ assignment: { '1': 0, '2': 1 } })).not.toBe(h({ assignment: { '1': 1, '2': 0 } }));
    expect(requestHash('alignment', {})).not.toBe(requestHash('comparison', {}));
  });
});

describe('canonicalFolds', () => {
  it('stores repeats 1 and the default order as absent, so those requests keep their earlier hash', () => {
    const h = (folds: object) =>
      requestHash('alignment', { preset: 'paper', folds: canonicalFolds(folds as FoldsSpec) });
    // the hash a {k: 5, seed: 0} request had before repeats existed
    const before = requestHash('alignment', { preset: 'paper', folds: { k: 5, seed: 0 } });
    expect(h({ k: 5, seed: 0, repeats: 1 })).toBe(before);
    expect(h({ k: 5, seed: 0, order: 'nsdId', repeats: 1 })).toBe(before);
    expect(h({ k: 5, seed: 0, repeats: 5 })).not.toBe(before);
    expect(canonicalFolds({ k: 5, seed: 0, order: 'subject', repeats: 3 })).toEqual({
      k: 5,
      seed: 0,
      order: 'subject',
      repeats: 3,
    });
    expect(canonicalFolds({ assignment: { '1': 0 }, repeats: 1 })).toEqual({ assignment: { '1': 0 } });
  });
});
