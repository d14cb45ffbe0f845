/**
 * Progress of long work, one shape everywhere: compute (ridge, statistics), betas loading, SAE training in a
 * thread, the toy experiment and the job that carries them all (written to the Job row, read over HTTP as
 * JobProgress). A leaf module so that every layer can import it.
 */
export interface Progress {
  /** What is being done now, for people ("loading betas", "fold 2/5"). */
  stage: string;
  /** Units of this stage done so far (0..total). */
  done: number;
  total: number;
  message?: string;
}

export type ProgressFn = (p: Progress) => void;
