/**
 * One thread per subject that writes the synthetic writer's large sessions to HDF5 while the next session is
 * drawn (issue #24: the full-size tree on two cores). Started once and reused: a thread's start-up (module
 * loading, h5wasm) costs seconds, a session's write ~8 s at NSD size.
 */
import { Worker } from 'node:worker_threads';

export interface BetasWrite {
  file: string;
  /** On a SharedArrayBuffer, so that the thread reads the session without a copy. */
  data: Int16Array;
  shape: [number, number, number, number];
  slabBytes?: number;
}

export class BetasWriteThread {
  private readonly worker = new Worker(new URL('./betas-write-thread-entry.mjs', import.meta.url), { execArgv: [] });
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 0;

  constructor() {
    this.worker.on('message', (m: { id: number; error?: string }) => {
      const w = this.waiting.get(m.id);
      this.waiting.delete(m.id);
      if (m.error === undefined) w?.resolve();
      else w?.reject(new Error(`writing synthetic betas: ${m.error}`));
    });
    const failAll = (e: Error) => {
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    this.worker.on('error', failAll);
    this.worker.on('exit', (code) => failAll(new Error(`the betas write thread exited with code ${code}`)));
  }

  /** Resolves once the session's file is complete. */
  write(w: BetasWrite): Promise<void> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ ...w, id });
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}
