/**
 * The compute settings in force in this process (ALIGN_BACKEND, ALIGN_NATIVE, ALIGN_EIG, ALIGN_CUDA*), and a
 * generation number that changes whenever anything the backend resolution depends on changes (settings, the
 * tensor backend, the run-time switches), so that backend.ts resolves again only then.
 * The service configures them once at start from loadConfig(); compute threads from their workerData; tests,
 * benchmarks and scripts that configure nothing get the environment as read by config.ts on first use.
 */
import { type ComputeSettings, computeSettingsFromEnv } from '../config';

let current: ComputeSettings | null = null;
let generation = 0;

/** The settings in force (read from the environment through config.ts on first use when none were given). */
export function computeSettings(): ComputeSettings {
  current ??= computeSettingsFromEnv();
  return current;
}

/** Use these settings from now on (the service at start, compute threads with their workerData). */
export function configureCompute(settings: ComputeSettings): void {
  current = settings;
  backendChanged();
}

/** Something the resolved backend depends on changed: resolve again on next use. */
export function backendChanged(): void {
  generation++;
}

export function backendGeneration(): number {
  return generation;
}
