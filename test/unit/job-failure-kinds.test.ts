/** Typed job failures (issue 22 item 3): what an attempt's thrown error, or a stored message, is counted as. */
import { describe, expect, it } from 'vitest';
import { ArtefactError, DataValidationError, ValidationError } from '../../src/errors';
import { failureKindOf, failureKindOfMessage, LOST_WORKER_MESSAGE } from '../../src/queue/failure';

describe('failureKindOf', () => {
  it('names a missing or corrupt artefact, also when it is the cause of another error', () => {
    const missing = new ArtefactError('sae.weights', 'sha256:ab.safetensors', 'missing', 'artefact is missing');
    expect(failureKindOf(missing)).toBe('missing-artefact');
    expect(failureKindOf(new Error('training failed', { cause: missing }))).toBe('missing-artefact');
  });

  it('names invalid data', () => {
    expect(failureKindOf(new DataValidationError('layer.activations', 'has NaN'))).toBe('invalid-data');
    expect(failureKindOf(ValidationError.of('body.rois', 'unknown ROI'))).toBe('invalid-data');
  });

  it("names an allocation that failed, in Node's, V8's, the native addon's and TensorFlow's words", () => {
    expect(failureKindOf(new RangeError('Array buffer allocation failed'))).toBe('out-of-memory');
    expect(failureKindOf(new RangeError('gram: out of memory'))).toBe('out-of-memory');
    expect(failureKindOf(Object.assign(new Error('worker terminated'), { code: 'ERR_WORKER_OUT_OF_MEMORY' }))).toBe(
      'out-of-memory',
    );
    expect(failureKindOf(new Error('OOM when allocating tensor with shape[8192,8192]'))).toBe('out-of-memory');
    expect(failureKindOf(new Error('fit failed', { cause: new Error('Cannot allocate memory') }))).toBe(
      'out-of-memory',
    );
  });

  it('counts everything else as internal', () => {
    expect(failureKindOf(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe('internal');
    expect(failureKindOf('a string')).toBe('internal');
    expect(failureKindOf(undefined)).toBe('internal');
  });
});

describe('failureKindOfMessage', () => {
  it("reads the reaper's message as a lost worker", () => {
    expect(failureKindOfMessage(`${LOST_WORKER_MESSAGE} (node-7, pid 4242)`)).toBe('lost-worker');
    expect(failureKindOfMessage('job failed by timeout in active state')).toBe('internal');
    expect(failureKindOfMessage(null)).toBe('internal');
  });
});
