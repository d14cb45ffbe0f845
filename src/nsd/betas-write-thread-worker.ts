/** The synthetic writer's HDF5 thread: writes each session it is sent, in order, and says when it is done. */
import { parentPort } from 'node:worker_threads';
import { writeBetasHdf5 } from './betas-hdf5-write';
import type { BetasWrite } from './betas-write-thread';

const port = parentPort!;
port.on('message', async (w: BetasWrite & { id: number }) => {
  try {
    await writeBetasHdf5(w.file, w.data, w.shape, w.slabBytes);
    port.postMessage({ id: w.id });
  } catch (err) {
    port.postMessage({ id: w.id, error: (err as Error)?.message ?? String(err) });
  }
});
