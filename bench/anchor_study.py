"""Case D anchor (bench/study.ts): the paper's pipeline on the same NSD tree, h5py + scikit-learn, float64.

Usage: /usr/bin/python3 bench/anchor_study.py DIR
DIR/spec.json: {root, subject, sessions, trialsPerSession, rois: [{name, members: [{atlas, label, hemisphere}]}], reps}
DIR/<rep>/X.npy (images x units, rows in ascending nsdId), nsd_ids.npy, assignment.npy (fold per row).
Loading: per session, h5py reads the ROI-union voxels of the betas (z-slabs), int16 / 300, z-scores each voxel
within the session (population sd; constant -> 0); repetitions of an image are averaged. Per ROI and fold:
dead units dropped, row LN of X and Y, RidgeCV(alphas 1e-8..1e8, no intercept), cosine score per voxel.
Prints one JSON object: loadSeconds and per representation the fit seconds and the ROI means.
"""
import csv
import json
import sys
import time

import h5py
import nibabel as nib
import numpy as np
from sklearn.linear_model import RidgeCV

ALPHAS = [10.0 ** e for e in range(-8, 9)]
LABELS = {
    'prf-visualrois': ['V1v', 'V1d', 'V2v', 'V2d', 'V3v', 'V3d', 'hV4'],
    'floc-faces': ['OFA', 'FFA-1', 'FFA-2', 'mTL-faces', 'aTL-faces'],
    'streams': ['early', 'midventral', 'midlateral', 'midparietal', 'ventral', 'lateral', 'parietal'],
    'nsdgeneral': ['nsdgeneral'],
}


def roi_mask(root, subj, member):
    hemi = '' if member['hemisphere'] == 'both' else member['hemisphere'] + '.'
    vol = np.asarray(nib.load(f"{root}/nsddata/ppdata/subj{subj:02d}/func1pt8mm/roi/{hemi}{member['atlas']}.nii.gz").dataobj)
    return vol.transpose(2, 1, 0) == LABELS[member['atlas']].index(member['label']) + 1  # (Z, Y, X)


def load(spec):
    root, subj, T = spec['root'], spec['subject'], spec['trialsPerSession']
    masks = {r['name']: np.any([roi_mask(root, subj, m) for m in r['members']], axis=0) for r in spec['rois']}
    union = np.any(list(masks.values()), axis=0)
    trial_image = {}
    with open(f'{root}/nsddata/experiments/nsd/nsd_stim_info_merged.csv') as f:
        for row in csv.DictReader(f):
            for r in range(3):
                g = int(row[f'subject{subj}_rep{r}'])
                if g > 0:
                    trial_image[g] = int(row['nsdId'])
    sums, counts = {}, {}
    for s in range(1, spec['sessions'] + 1):
        path = f"{root}/nsddata_betas/ppdata/subj{subj:02d}/func1pt8mm/betas_fithrf_GLMdenoise_RR/betas_session{s:02d}.hdf5"
        with h5py.File(path, 'r') as h:
            d = h['betas']
            B = np.concatenate([d[:, z][:, union[z]] for z in range(union.shape[0]) if union[z].any()], axis=1).astype(np.float64) / 300
        sd = B.std(0)
        B = np.where(sd > 0, (B - B.mean(0)) / np.where(sd > 0, sd, 1), 0)
        for t in range(T):
            img = trial_image.get((s - 1) * T + t + 1)
            if img is None:
                continue
            sums[img] = sums.get(img, 0) + B[t]
            counts[img] = counts.get(img, 0) + 1
    ids = np.array(sorted(sums))
    Y = np.stack([sums[i] / counts[i] for i in ids])
    # columns of each ROI within the union (union voxels in (Z, Y, X) C order)
    cols = {name: np.flatnonzero(m[union]) for name, m in masks.items()}
    return ids, Y, cols


def ln(A):
    return (A - A.mean(1, keepdims=True)) / (A.std(1, ddof=1, keepdims=True) + 1e-5)


def fit(X, Y, assign):
    k = int(assign.max()) + 1
    def live(A):
        keep = np.ones(A.shape[1], bool)
        for f in range(k):
            keep &= np.any(A[assign == f] != 0, axis=0)
        return keep
    X = ln(X[:, live(X)])
    Y = ln(Y[:, live(Y)])
    means = []
    for f in range(k):
        tr, te = assign != f, assign == f
        m = RidgeCV(alphas=ALPHAS, fit_intercept=False).fit(X[tr], Y[tr])
        P = m.predict(X[te])
        Yt = Y[te]
        cos = (P * Yt).sum(0) / (np.linalg.norm(P, axis=0) * np.linalg.norm(Yt, axis=0))
        means.append(np.nanmean(cos))
    return float(np.mean(means))


def main(d):
    spec = json.load(open(f'{d}/spec.json'))
    t = time.perf_counter()
    ids, Y, cols = load(spec)
    out = {'loadSeconds': time.perf_counter() - t, 'fits': {}}
    row = {i: r for r, i in enumerate(ids)}
    for rep in spec['reps']:
        X = np.load(f'{d}/{rep}/X.npy').astype(np.float64)
        nsd = np.load(f'{d}/{rep}/nsd_ids.npy')
        assign = np.load(f'{d}/{rep}/assignment.npy')
        Yr = Y[[row[i] for i in nsd]]
        t = time.perf_counter()
        means = {name: fit(X, Yr[:, c], assign) for name, c in cols.items()}
        out['fits'][rep] = {'seconds': time.perf_counter() - t, 'means': means}
    print(json.dumps(out))


if __name__ == '__main__':
    main(sys.argv[1])
