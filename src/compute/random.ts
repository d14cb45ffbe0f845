/**
 * Seeded pseudo-random numbers for reproducible synthetic data, initialisations and shuffles.
 * (numpy-compatible fold shuffling lives in folds.ts; this is the project's own generator.)
 */

/** SplitMix32-seeded xoshiro128** generator: uniform floats in [0, 1), 32-bit state x4. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spareNormal: number | null = null;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  uniform(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Integer uniform in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box-Muller, caching the second value). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /**
   * `out.length` standard normals, exactly the values that as many `normal()` calls return (same pairs, same
   * spare), with the state held in locals: the synthetic NSD writer draws ~21 billion of them at full size.
   */
  fillNormal(out: Float64Array): Float64Array {
    let i = 0;
    const n = out.length;
    if (n > 0 && this.spareNormal !== null) {
      out[i++] = this.spareNormal;
      this.spareNormal = null;
    }
    let s0 = this.s0;
    let s1 = this.s1;
    let s2 = this.s2;
    let s3 = this.s3;
    const TWO_PI = 2 * Math.PI;
    while (i < n) {
      let u = 0;
      let v = 0;
      // draw u until non-zero, then v: the order of normal()
      for (let draw = 0; draw < 2; ) {
        const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
        const t = (s1 << 9) >>> 0;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = rotl(s3, 11);
        const x = result / 4294967296;
        if (draw === 0) {
          if (x === 0) continue;
          u = x;
        } else v = x;
        draw++;
      }
      const r = Math.sqrt(-2 * Math.log(u));
      out[i++] = r * Math.cos(TWO_PI * v);
      if (i < n) out[i++] = r * Math.sin(TWO_PI * v);
      else this.spareNormal = r * Math.sin(TWO_PI * v);
    }
    this.s0 = s0;
    this.s1 = s1;
    this.s2 = s2;
    this.s3 = s3;
    return out;
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return a;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
