/** Job queue interface (pg-boss implementation lands with the job handlers). */
export interface JobQueue {
  enqueue(kind: string, data: Record<string, unknown>, opts?: { singletonKey?: string }): Promise<string>;
  cancel(jobId: string): Promise<void>;
  stop(): Promise<void>;
}
