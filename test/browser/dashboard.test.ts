/**
 * The dashboard in real headless Chromium (Debian's /usr/bin/chromium via playwright-core) against the
 * running service with demo-like data: a synthetic NSD set, two layers, an SAE per layer, and every
 * layer x {neurons, SAE} aligned to every ROI of subject 1.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_DIR } from '../../src/http/dashboard';
import { startTestApp, TEST_ADMIN_KEY, type TestApp } from '../helpers/app';
import { distinctColours, haveChromium, launchBrowser, CHROMIUM, type Browser } from '../helpers/browser';
import { registerSyntheticSet, waitForJob, type RegisteredSet } from '../helpers/flow';

if (!haveChromium) {
  console.warn(`browser tests SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium; .ci/run installs it)`);
}

const ATLAS = 'prf-visualrois';
const SUBJECT = 'subj01';

interface Matrix {
  layers: { id: string; name: string }[];
  rois: string[];
  values: (number | null)[][];
  sem: (number | null)[][];
  baseline?: (number | null)[][];
}

/** The alignment form (folded under the study form when the service has studies). */
async function openAlignmentForm(page: Browser['page']): Promise<void> {
  await page.locator('#submit-form').waitFor({ state: 'attached' });
  await page.evaluate(() => (globalThis as any).document.querySelector('details.more')?.setAttribute('open', ''));
  await page.locator('#submit-form').waitFor();
}

describe.skipIf(!haveChromium)('dashboard in headless Chromium', () => {
  let app: TestApp;
  let set: RegisteredSet;
  let browser: Browser;
  let wide: RegisteredSet;

  const json = async (p: string) => {
    const res = await app.request(p);
    expect(res.status, p).toBe(200);
    return res.json();
  };
  const matrix = (rep: string): Promise<Matrix> =>
    json(
      `/v1/scores/matrix?modelId=${set.modelId}&datasetId=${set.datasetId}&subject=${SUBJECT}&atlas=${ATLAS}&representation=${rep}`,
    );
  const runOf = async (layerId: string, roi: string, representation: string): Promise<string> =>
    (
      await json(
        `/v1/scores?kind=alignment&layerId=${layerId}&subject=${SUBJECT}&atlas=${ATLAS}&preset=paper&roi=${roi}&representation=${representation}&limit=1`,
      )
    ).items[0].runId;

  beforeAll(async () => {
    if (!existsSync(path.join(DASHBOARD_DIR, 'index.html')))
      throw new Error(`the dashboard is not built (${DASHBOARD_DIR}): npm ci builds it (npm run build:web)`);
    app = await startTestApp({ ALIGN_WORKERS: '2' });
    // A wide layer whose ridge fits keep workers busy (the submit test). Written first: writing it blocks
    // this process (which is also the server) for seconds, and an idle keep-alive socket would be reset.
    wide = await registerSyntheticSet(app, 'blocker', { layers: [{ name: 'wide', units: 1500 }] });
    set = await registerSyntheticSet(app, 'browser', {
      layers: [
        { name: 'l.block1', units: 12 },
        { name: 'l.block2', units: 16 },
      ],
    });
    const saeJobs: string[] = [];
    for (const id of set.layerIds) {
      const res = await app.request(`/v1/layers/${id}/saes`, {
        method: 'POST',
        auth: true,
        json: { k: 4, expansion: 2, epochs: 8, lr: 0.004, batchSize: 64, seed: 1 },
      });
      expect(res.status).toBe(202);
      saeJobs.push((await res.json()).jobId);
    }
    for (const j of saeJobs) expect((await waitForJob(app, j)).state).toBe('completed');
    for (const representation of ['neurons', 'sae']) {
      const res = await app.request('/v1/alignments', {
        method: 'POST',
        auth: true,
        json: {
          datasetId: set.datasetId,
          subject: SUBJECT,
          atlas: ATLAS,
          layerIds: set.layerIds,
          representation,
          preset: 'paper',
          folds: { k: 5, seed: 0 },
        },
      });
      expect(res.status).toBe(202);
      for (const r of (await res.json()).runs) expect((await waitForJob(app, r.jobId)).state).toBe('completed');
    }
    browser = await launchBrowser();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const scoresPage = () =>
    `${app.url}/#/?model=${set.modelId}&dataset=${set.datasetId}&subject=${SUBJECT}&atlas=${ATLAS}&preset=paper`;

  it('serves the dashboard at / with every asset from the service itself', async () => {
    const requests: string[] = [];
    browser.page.on('request', (r) => requests.push(r.url()));
    await browser.page.goto(`${app.url}/`);
    await browser.page.locator('[data-page=scores]').waitFor();
    expect(requests.length).toBeGreaterThan(2);
    expect(requests.filter((u) => !u.startsWith(app.url) && !u.startsWith('data:') && !u.startsWith('blob:'))).toEqual(
      [],
    );
    browser.page.removeAllListeners('request');
    // The API and its docs keep their paths.
    expect((await app.request('/v1/health')).status).toBe(200);
    expect((await app.request('/docs/')).status).toBe(200);
  });

  it('draws heatmap cells with the numbers of /v1/scores/matrix, with sem and interval on hover', async () => {
    const page = browser.page;
    await page.goto(scoresPage());
    for (const rep of ['neurons', 'sae', 'difference']) {
      const m = await matrix(rep);
      const expected = m.layers
        .flatMap((_, i) => m.rois.map((_, j) => m.values[i][j]))
        .filter((v): v is number => v !== null);
      expect(expected.length).toBe(set.layerIds.length * m.rois.length);
      const texts = page.locator(`#heat-${rep} .cells_marks text`);
      await texts.first().waitFor();
      const drawn = await texts.allTextContents();
      expect(drawn).toEqual(expected.map((v) => v.toFixed(3)));
    }
    // Hover the first neurons cell: the tooltip shows the value, its sem and the 95% interval.
    const m = await matrix('neurons');
    await page.locator('#heat-neurons .rects_marks path').first().hover();
    const tip = page.locator('#vg-tooltip-element');
    await expect.poll(() => tip.textContent(), { timeout: 10_000 }).toContain(m.values[0][0]!.toFixed(4));
    const text = (await tip.textContent())!;
    expect(text).toContain(m.sem[0][0]!.toFixed(4));
    expect(text).toContain((m.values[0][0]! - 1.96 * m.sem[0][0]!).toFixed(4));
    // ... and the baseline (each voxel predicted by its training mean), drawn dashed in the depth chart per ROI.
    expect(text).toContain(m.baseline![0][0]!.toFixed(4));
    await expect
      .poll(() => page.locator('#depth .baseline_marks path').count(), { timeout: 10_000 })
      .toBe(m.rois.length);
    expect(browser.errors).toEqual([]);
  });

  it("opens the clicked cell's run with its voxel map drawn by NiiVue (WebGL on SwiftShader)", async () => {
    const page = browser.page;
    await page.goto(scoresPage());
    const m = await matrix('neurons');
    // Cells are drawn row by row; the last one is the last layer x last ROI.
    const last = page.locator('#heat-neurons .rects_marks path').last();
    await last.click();
    const runId = await runOf(m.layers.at(-1)!.id, m.rois.at(-1)!, 'neurons');
    await expect.poll(() => new URL(page.url()).hash, { timeout: 15_000 }).toContain(`#/run/${runId}`);
    await page.locator('canvas#brain[data-ready="1"]').waitFor({ timeout: 30_000 });
    // A drawn volume: many colours (a blank or failed WebGL canvas is one flat colour).
    expect(await distinctColours(page, 'canvas#brain')).toBeGreaterThan(20);
    const rows = await page.locator('table.scores tbody tr').count();
    expect(rows).toBe((await json(`/v1/runs/${runId}`)).scores.length);

    // The difference cell opens SAE - neurons for the pair of runs.
    await page.goto(scoresPage());
    await page.locator('#heat-difference .rects_marks path').first().click();
    const [s, n] = await Promise.all([
      runOf(m.layers[0].id, m.rois[0], 'sae'),
      runOf(m.layers[0].id, m.rois[0], 'neurons'),
    ]);
    await expect.poll(() => new URL(page.url()).hash, { timeout: 15_000 }).toContain(`#/run/${s}?minus=${n}`);
    await page.locator('canvas#brain[data-ready="1"]').waitFor({ timeout: 30_000 });
    expect(await distinctColours(page, 'canvas#brain')).toBeGreaterThan(20);
    expect(browser.errors).toEqual([]);
  });

  it("opens the clicked ROI's own voxel map with its outline on, a labelled colour bar and the run's seconds", async () => {
    const page = browser.page;
    await page.goto(scoresPage());
    const m = await matrix('neurons');
    // Legends and axes name the quantity and the preset.
    const legend = page.locator('#heat-neurons .role-legend-title');
    await legend.first().waitFor();
    expect(await legend.first().textContent()).toMatch(/ROI mean of per-voxel cosine.*paper preset/);
    const yTitles = await page.locator('#depth .role-axis-title').allTextContents();
    expect(yTitles.some((t) => t.includes('per-voxel cosine'))).toBe(true);
    // The first row's second cell: layer 1 x ROI 2.
    const roi = m.rois[1];
    const runId = await runOf(m.layers[0].id, roi, 'neurons');
    const voxelsAsked = page.waitForResponse((r) => r.url().includes(`/v1/runs/${runId}/voxels?`));
    await page.locator('#heat-neurons .rects_marks path').nth(1).click();
    expect(new URL((await voxelsAsked).url()).searchParams.get('roi')).toBe(roi);
    await page.locator('canvas#brain[data-ready="1"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('canvas#brain').getAttribute('data-roi')).toBe(roi);
    expect(await page.locator('#roi-select').inputValue()).toBe(roi);
    expect(await page.locator('#roi-outlines').isChecked()).toBe(true);
    const caption = (await page.locator('#voxel-caption').textContent())!;
    expect(caption).toContain(`outlines: ROI ${roi}`);
    expect(caption).toContain('per-voxel cosine, paper preset');
    const only = await json(`/v1/runs/${runId}/voxels?format=json&roi=${roi}`);
    expect(await page.locator('.roi-legend li').textContent()).toBe(`outline: ${roi} (${only.indices.length} voxels)`);
    const bar = (await page.locator('#colourbar-label').textContent())!;
    expect(bar).toContain('Colour bar: per-voxel cosine, paper preset');
    const finite = only.values.filter((v: number | null): v is number => v !== null);
    expect(bar).toContain(`${Math.max(...finite).toFixed(3)})`);
    // The run's time: its recorded total in seconds (not every timing summed and divided by 1000).
    const run = await json(`/v1/runs/${runId}`);
    expect(run.timings.total).toBeGreaterThan(0);
    const facts = await page.locator('dl.facts').textContent();
    expect(facts).toContain(`seconds${run.timings.total.toFixed(2)}`);
    expect(facts).toContain(`stimuli${run.scores[0].nStimuli}`);
    // Another ROI from the picker: that ROI's map.
    await page.selectOption('#roi-select', m.rois[0]);
    await page.locator(`canvas#brain[data-ready="1"][data-roi="${m.rois[0]}"]`).waitFor({ timeout: 30_000 });
    expect(browser.errors).toEqual([]);
  });

  it('titles the SAE training curves in words with y labels', async () => {
    const page = browser.page;
    await page.goto(`${app.url}/#/models`);
    const titles = page.locator('.role-title-text');
    await titles.first().waitFor({ timeout: 30_000 });
    const words = await titles.allTextContents();
    expect(words).toContain('Reconstruction loss (training)');
    expect(words).toContain('Dead-latent (AuxK) loss (training)');
    expect(words.join(' ')).not.toMatch(/auxLoss|heldOutFvu/);
    const axes = await page.locator('.role-axis-title').allTextContents();
    expect(axes).toContain('squared error per sample');
    expect(axes).toContain('epoch');
    expect(browser.errors).toEqual([]);
  });

  /** Alignment runs of a wide layer (slow ridge fits) that keep both alignment workers busy until cancelled. */
  const busyAlignments = async (seed = 1): Promise<string[]> => {
    const ids: string[] = [];
    // Two different requests (presets differ), so two runs.
    for (const preset of ['paper', 'paper-centred']) {
      const res = await app.request('/v1/alignments', {
        method: 'POST',
        auth: true,
        json: {
          datasetId: wide.datasetId,
          subject: SUBJECT,
          atlas: ATLAS,
          layerIds: wide.layerIds,
          preset,
          folds: { k: 10, seed },
        },
      });
      expect(res.status).toBe(202);
      ids.push((await res.json()).runs[0].jobId);
    }
    return ids;
  };

  it('submits an alignment and shows its progress and results without a reload', async () => {
    const page = browser.page;
    // Both workers busy, so the submitted job is seen queued before it runs.
    const blockers = await busyAlignments();
    for (const j of blockers) await waitForJob(app, j, ['running']);
    await page.goto(`${app.url}/#/runs`);
    await openAlignmentForm(page);
    const refilled = page.waitForResponse((r) => r.url().endsWith(`/v1/datasets/${set.datasetId}`));
    await page.selectOption('#f-dataset', set.datasetId);
    await refilled;
    await page.fill('#key input', TEST_ADMIN_KEY);
    await page.click('#key button');
    await page.evaluate(() => ((globalThis as { marker?: number }).marker = 42));
    await page.selectOption('#f-atlas', ATLAS);
    await page.check(`#submit-form input[name=layerIds][value="${set.layerIds[1]}"]`);
    // A new request (an identical one would return the finished run): two ROIs, other folds.
    await page.fill('#f-rois', 'V1v, hV4');
    await page.fill('#f-k', '3');
    await page.fill('#f-seed', '11');
    // Record every state and fraction the job row shows.
    await page.evaluate(() => {
      // Runs in the page (DOM types are not in the Node tsconfig).
      const g = globalThis as any;
      const seen: string[] = [];
      g.seen = seen;
      new g.MutationObserver(() => {
        const row = g.document.querySelector('.job');
        const now =
          row?.dataset.state &&
          `${row.dataset.state}:${row.dataset.fraction}:${row.querySelector('.stage')?.textContent}`;
        if (now && seen.at(-1) !== now) seen.push(now);
      }).observe(g.document.body, { subtree: true, attributes: true, childList: true });
    });
    await page.click('#submit-form button[type=submit]');
    await page.locator('.job[data-state=queued]').waitFor({ timeout: 30_000 });
    for (const j of blockers)
      expect((await app.request(`/v1/jobs/${j}`, { method: 'DELETE', auth: true })).status).toBe(202);
    const result = page.locator('.result[data-run]');
    await result.waitFor({ timeout: 120_000 });
    const seen = await page.evaluate(() => (globalThis as { seen?: string[] }).seen!);
    // queued, then running through the job's stages, then completed (the API's fraction is per stage).
    const states = seen.map((x) => x.split(':')[0]);
    const rank = (x: string) => ['queued', 'running', 'completed'].indexOf(x);
    expect(states[0]).toBe('queued');
    expect(seen.at(-1)).toMatch(/^completed:1:/);
    expect(states.map(rank)).toEqual(states.map(rank).sort((a, b) => a - b));
    // At least one running step shown between queued and completed (on a fast, idle machine the job can
    // pass through its stages between two server-sent events, so the number of stages seen varies).
    expect(states).toContain('running');
    expect(seen.length).toBeGreaterThanOrEqual(3);
    // Same page (no reload), and the result table holds the run's scores.
    expect(await page.evaluate(() => (globalThis as { marker?: number }).marker)).toBe(42);
    const run = await json(`/v1/runs/${await result.getAttribute('data-run')}`);
    expect(run.status).toBe('succeeded');
    expect(run.layerId).toBe(set.layerIds[1]);
    expect(run.scores.map((x: { roi: string }) => x.roi)).toEqual(['V1v', 'hV4']);
    const cells = await result.locator('tbody tr td:nth-child(2)').allTextContents();
    expect(cells).toEqual(run.scores.map((s: { value: number }) => s.value.toFixed(4)));
    expect(browser.errors).toEqual([]);
  }, 180_000);

  it('shows the workers (live and gone, with their jobs) and the queue on the jobs page', async () => {
    const page = browser.page;
    const blockers = await busyAlignments(2);
    for (const j of blockers) await waitForJob(app, j, ['running']);
    // Two more jobs wait for a worker; a worker on another machine stopped heart-beating 10 minutes ago.
    const waiting = await busyAlignments(3);
    const gone = randomUUID();
    await app.db.prisma.$executeRaw`
      INSERT INTO "Worker" (id, host, pid, version, slots, "startedAt", "lastSeenAt")
      VALUES (${gone}::uuid, 'node-7', 4242, '0.0.0', 1, now() AT TIME ZONE 'UTC' - interval '1 hour',
        now() AT TIME ZONE 'UTC' - interval '10 minutes')`;
    try {
      const api = await json('/v1/workers');
      const me = api.workers.find((w: { pid: number }) => w.pid === process.pid);
      expect(me).toMatchObject({ host: os.hostname(), status: 'live', slots: 2 });
      await page.goto(`${app.url}/#/runs`);
      const mine = page.locator(`#workers-table tr[data-worker="${me.id}"]`);
      await mine.waitFor();
      expect(await mine.getAttribute('data-status')).toBe('live');
      const text = (await mine.textContent())!;
      expect(text).toContain(os.hostname());
      expect(text).toContain(String(process.pid));
      // Its two running alignments, by id and stage (refreshed every 3 s).
      for (const j of blockers)
        await expect
          .poll(() => mine.textContent(), { timeout: 15_000 })
          .toMatch(new RegExp(`alignment ${j.slice(0, 8)}: \\w`));
      const other = page.locator(`#workers-table tr[data-worker="${gone}"]`);
      expect(await other.getAttribute('data-status')).toBe('gone');
      expect(await other.textContent()).toContain('node-7');
      const queue = page.locator('#queue-table tr[data-kind=alignment] td');
      await expect
        .poll(async () => (await queue.allTextContents()).slice(1, 4), { timeout: 15_000 })
        .toEqual(['2', '2', '0']);
      expect(browser.errors).toEqual([]);
    } finally {
      for (const j of [...blockers, ...waiting])
        expect((await app.request(`/v1/jobs/${j}`, { method: 'DELETE', auth: true })).status).toBe(202);
      await app.db.prisma.$executeRaw`DELETE FROM "Worker" WHERE id = ${gone}::uuid`;
    }
  }, 180_000);

  it('runs a toy experiment from its form and cancels it with the cancel button', async () => {
    const page = browser.page;
    await page.goto(`${app.url}/#/toy`);
    await page.locator('#toy-form').waitFor();
    await page.fill('#toy-form input[name=hiddenSizes]', '32');
    await page.fill('#toy-form input[name=modelSteps]', '50000');
    await page.fill('#toy-form input[name=samples]', String(1 << 22));
    await page.click('#toy-form button[type=submit]');
    const row = page.locator('#toy-form .job');
    await page.locator('#toy-form .job[data-state=running]').waitFor({ timeout: 60_000 });
    const jobId = (await row.getAttribute('data-job'))!;
    await row.locator('button.danger').click();
    await page.locator('#toy-form .job[data-state=cancelled]').waitFor({ timeout: 60_000 });
    expect((await json(`/v1/jobs/${jobId}`)).state).toBe('cancelled');
    expect(browser.errors).toEqual([]);
  }, 120_000);

  it("shows the API's field error next to an invalid field", async () => {
    const page = browser.page;
    await page.goto(`${app.url}/#/runs`);
    await openAlignmentForm(page);
    const refilled = page.waitForResponse((r) => r.url().endsWith(`/v1/datasets/${set.datasetId}`));
    await page.selectOption('#f-dataset', set.datasetId);
    await refilled;
    await page.evaluate((k) => (globalThis as any).sessionStorage.setItem('brain-align.apiKey', k), TEST_ADMIN_KEY);
    await page.selectOption('#f-atlas', ATLAS);
    await page.check(`#submit-form input[name=layerIds][value="${set.layerIds[0]}"]`);
    await page.fill('#f-k', '1');
    await page.fill('#f-rois', 'V1v, NotAnRoi');
    const jobsBefore = await page.locator('.job').count();
    await page.click('#submit-form button[type=submit]');
    // What the API itself says about the same body.
    const res = await app.request('/v1/alignments', {
      method: 'POST',
      auth: true,
      json: {
        datasetId: set.datasetId,
        subject: SUBJECT,
        atlas: ATLAS,
        rois: ['V1v', 'NotAnRoi'],
        layerIds: [set.layerIds[0]],
        representation: 'neurons',
        preset: 'paper',
        folds: { k: 1, seed: 0 },
      },
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const problem = (await res.json()) as { errors: { field: string; reason: string }[] };
    const folds = problem.errors.find((e) => e.field.startsWith('body.folds'));
    expect(folds).toBeDefined();
    const shown = page.locator('#submit-form [data-error-for="folds"]');
    await expect.poll(() => shown.textContent(), { timeout: 10_000 }).toContain(folds!.reason);
    expect(await page.locator('.job').count()).toBe(jobsBefore);
  });
});
