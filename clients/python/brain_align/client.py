"""brain_align.Client: the brain-align REST API for batch scripts (see the README's Python section).

Every method returns the service's JSON (dicts) unless it says it returns a table: tables are pandas DataFrames
when pandas is importable (lists of dicts otherwise). Arguments naming a dataset, model, layer, SAE, job or study
accept its id or the dict the service returned for it (datasets and models also their name).
"""
import json
import os
import re
import time

from .errors import JobError, ProblemError, WaitTimeout
from .http import Transport
from .npy import TempFiles, write_ids, write_matrix
from .progress import ProgressBar
from .tables import csv_table, flatten, rows_table

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
JOB_DONE = ("completed", "failed", "cancelled")
STUDY_DONE = ("succeeded", "failed", "cancelled")


def _id(x):
    return x["id"] if isinstance(x, dict) else str(x)


def _is_path(x):
    return isinstance(x, (str, bytes, os.PathLike))


class Client:
    """A connection to the service.

    url: ALIGN_URL, default http://127.0.0.1:8080; key: ALIGN_API_KEY (else ALIGN_ADMIN_KEY) — an API key from
    `npm run cli -- keys create <name>`, needed for writes. progress: show progress bars on stderr while waiting
    and uploading (default True). poll: seconds between polls of a job or study.
    """

    def __init__(self, url=None, key=None, timeout=60.0, progress=True, poll=0.5):
        url = url or os.environ.get("ALIGN_URL") or "http://127.0.0.1:8080"
        key = key or os.environ.get("ALIGN_API_KEY") or os.environ.get("ALIGN_ADMIN_KEY")
        self.http = Transport(url, key, timeout)
        self.progress = progress
        self.poll = poll

    # -- plumbing ---------------------------------------------------------------------------------------
    def get(self, path, **query):
        return self.http.send("GET", path, query=query)[2]

    def post(self, path, body):
        return self.http.send("POST", path, json_body=body)[2]

    def delete(self, path):
        return self.http.send("DELETE", path)[2]

    def _items(self, path, **query):
        """Every item of a paged list."""
        items, offset = [], 0
        while True:
            page = self.get(path, limit=1000, offset=offset, **query)
            items.extend(page["items"])
            offset += len(page["items"])
            if not page["items"] or offset >= page.get("total", offset):
                return items

    def health(self):
        return self.get("/v1/health")

    # -- datasets and stimuli -----------------------------------------------------------------------------
    def datasets(self):
        return self._items("/v1/datasets")

    def dataset(self, ref):
        """One dataset (subjects, atlases, ROIs) by id or name."""
        if isinstance(ref, dict) or UUID.match(str(ref)):
            return self.get("/v1/datasets/%s" % _id(ref))
        found = [d for d in self.datasets() if d["name"] == ref]
        if not found:
            raise ProblemError(404, title="Not Found", detail='no dataset named "%s"' % ref)
        return self.get("/v1/datasets/%s" % found[0]["id"])

    def create_dataset(self, name, root, manifest=None, manifest_path=None, exist_ok=True):
        """Register a dataset (root inside the service's data roots; manifest "nsd", a dict, or manifest_path).

        exist_ok: a dataset of that name already registered is returned instead of a 409.
        """
        body = {"name": name, "root": str(root)}
        if manifest is not None:
            body["manifest"] = manifest
        if manifest_path is not None:
            body["manifestPath"] = str(manifest_path)
        try:
            return self.post("/v1/datasets", body)
        except ProblemError as e:
            if e.status == 409 and exist_ok:
                return self.dataset(name)
            raise

    def stimuli(self, dataset, subject, shared1000=None):
        """A subject's stimuli as a table: nsdId (0-based, the row of nsd_stimuli.hdf5 and the id layers carry),
        shared1000 and presentations, ascending nsdId. shared1000=True/False keeps only those (not) shared."""
        query = {} if shared1000 is None else {"shared1000": "true" if shared1000 else "false"}
        path = "/v1/datasets/%s/subjects/%s/stimuli" % (self._dataset_id(dataset), subject)
        return rows_table(self._items(path, **query))

    def stimulus_ids(self, dataset, subject):
        """The subject's nsdIds as a list of ints (the ids a layer for this subject should carry)."""
        path = "/v1/datasets/%s/subjects/%s/stimuli" % (self._dataset_id(dataset), subject)
        return [s["nsdId"] for s in self._items(path)]

    def stimulus_image(self, dataset, subject, nsd_id):
        """The image of stimulus nsd_id as PNG bytes."""
        path = "/v1/datasets/%s/subjects/%s/stimuli/%d" % (self._dataset_id(dataset), subject, int(nsd_id))
        return self.http.send("GET", path, accept="image/png")[2]

    def _dataset_id(self, ref):
        if isinstance(ref, dict) or UUID.match(str(ref)):
            return _id(ref)
        return self.dataset(ref)["id"]

    # -- models, layers, networks, extractions -------------------------------------------------------------
    def models(self):
        return self._items("/v1/models")

    def model(self, ref):
        """One model with its layers, by id or name."""
        return self.get("/v1/models/%s" % self._model_id(ref))

    def _model_id(self, ref):
        if isinstance(ref, dict) or UUID.match(str(ref)):
            return _id(ref)
        found = [m for m in self.models() if m["name"] == ref]
        if not found:
            raise ProblemError(404, title="Not Found", detail='no model named "%s"' % ref)
        return found[0]["id"]

    def create_model(self, name, description=None, exist_ok=True):
        """Register a model (exist_ok: return the model of that name when it exists)."""
        body = {"name": name}
        if description is not None:
            body["description"] = description
        try:
            return self.post("/v1/models", body)
        except ProblemError as e:
            if e.status == 409 and exist_ok:
                return self.model(name)
            raise

    def add_layer(self, model, name, activations, stimulus_ids, preprocessing=None, position=None):
        """Upload a layer: activations (stimuli x units) and the nsdId of each row.

        activations: a numpy array (or list of rows), or a local file (.npy); stimulus_ids: a sequence of ints,
        or a local file (.npy, .json, .csv). Files are streamed (multipart upload) with a progress bar; arrays
        are written to a temporary .npy first. preprocessing: e.g. {"clamp": "relu"}.
        """
        model_id = self._model_id(model)
        with TempFiles() as tmp:
            if not _is_path(activations):
                write_matrix(activations, tmp.path("activations.npy"))
                activations = tmp.path("activations.npy")
            if not _is_path(stimulus_ids):
                write_ids(stimulus_ids, tmp.path("stimulus_ids.json"))
                stimulus_ids = tmp.path("stimulus_ids.json")
            fields = {"name": name}
            if position is not None:
                fields["position"] = str(int(position))
            if preprocessing is not None:
                fields["preprocessing"] = json.dumps(preprocessing)
            files = {
                "activations": (os.fspath(activations), os.path.basename(os.fspath(activations))),
                "stimulusIds": (os.fspath(stimulus_ids), os.path.basename(os.fspath(stimulus_ids))),
            }
            bar = ProgressBar("upload %s" % name, enabled=self.progress)
            try:
                answer = self.http.multipart(
                    "/v1/models/%s/layers" % model_id, fields, files,
                    progress=lambda sent, total: bar.update(sent / max(total, 1), "%.1f MiB" % (sent / 2**20)),
                )[2]
            finally:
                bar.close()
            return answer

    def add_layer_from_paths(self, model, name, activations, stimulus_ids, preprocessing=None, position=None):
        """Register a layer from files the service reads itself (paths inside its data roots).

        activations / stimulus_ids: a path, or {"path": ..., "dataset": ...} for HDF5.
        """
        ref = lambda x: x if isinstance(x, dict) else {"path": os.fspath(x)}  # noqa: E731
        body = {"name": name, "activations": ref(activations), "stimulusIds": ref(stimulus_ids)}
        if preprocessing is not None:
            body["preprocessing"] = preprocessing
        if position is not None:
            body["position"] = int(position)
        return self.post("/v1/models/%s/layers" % self._model_id(model), body)

    def layer(self, ref):
        return self.get("/v1/layers/%s" % _id(ref))

    def find_layer(self, model, name):
        """A model's layer by name (the summary in the model's `layers`), or ProblemError 404."""
        m = self.model(model)
        for l in m["layers"]:
            if l["name"] == name:
                return l
        raise ProblemError(404, title="Not Found", detail='model "%s" has no layer "%s"' % (m["name"], name))

    def upload_network(self, model, path):
        """Give the model an ONNX network from a local file (streamed upload with a progress bar).

        Returns the network: its inputs, outputs and `tensors`, the names a layer may tap.
        """
        name = os.path.basename(os.fspath(path))
        bar = ProgressBar("upload %s" % name, enabled=self.progress)
        try:
            return self.http.multipart(
                "/v1/models/%s/network" % self._model_id(model), {}, {"network": (os.fspath(path), name)},
                progress=lambda sent, total: bar.update(sent / max(total, 1), "%.1f MiB" % (sent / 2**20)),
                method="PUT",
            )[2]
        finally:
            bar.close()

    def attach_network(self, model, path):
        """Give the model an ONNX network the service reads itself (a path inside its data roots)."""
        return self.http.send("PUT", "/v1/models/%s/network" % self._model_id(model),
                              json_body={"path": os.fspath(path)})[2]

    def network(self, model):
        """The model's network: inputs, outputs and the tensors a layer may tap."""
        return self.get("/v1/models/%s/network" % self._model_id(model))

    def extract(self, model, dataset, layers, subjects=None, nsd_ids=None, preprocessing=None, wait=True,
                timeout=None, **options):
        """Run the model's network over a dataset's stimuli and register each tapped tensor as a layer.

        layers: [{"tensor": ONNX tensor name, "name": layer name, "pooling": "centre" | "mean" | "max" |
        "flatten" | "cls"}]; subjects (e.g. ["subj01"]: every image they saw) or nsd_ids choose the images;
        preprocessing: {resize, crop, mean, std} (default: the authors' 256, 224, ImageNet); options: e.g.
        batchSize. wait: block until the job ends (progress bar) and return the finished extraction, whose
        `layerIds` are the registered layers; else the queued extraction.
        """
        body = {"datasetId": self._dataset_id(dataset), "layers": layers}
        if subjects is not None:
            body["subjects"] = list(subjects)
        if nsd_ids is not None:
            body["nsdIds"] = [int(i) for i in nsd_ids]
        if preprocessing is not None:
            body["preprocessing"] = preprocessing
        body.update(options)
        extraction = self.post("/v1/models/%s/extractions" % self._model_id(model), body)
        if not wait or extraction.get("status") in ("completed", "failed", "cancelled"):
            return extraction
        if extraction.get("jobId"):
            self.wait_job(extraction["jobId"], timeout=timeout, label="extraction")
        return self.extraction(extraction)

    def extraction(self, ref):
        return self.get("/v1/extractions/%s" % _id(ref))

    def extractions(self, model):
        return self.get("/v1/models/%s/extractions" % self._model_id(model))["items"]

    # -- SAEs -----------------------------------------------------------------------------------------------
    def train_sae(self, layer, wait=True, timeout=None, **settings):
        """Train an SAE on a layer (settings: k, expansion, epochs, lr, batchSize, seed, ...).

        wait: block until trained (progress bar) and return the SAE; else the queued answer {id, jobId, ...}.
        """
        answer = self.post("/v1/layers/%s/saes" % _id(layer), settings)
        if wait and answer.get("jobId"):
            self.wait_job(answer["jobId"], timeout=timeout, label="SAE")
            return self.sae(answer["id"])
        return answer

    def import_sae(self, layer, weights, k=None, preprocessing=None, orientation=None):
        """Import trained SAE weights (.safetensors or .npz; a path the service reads, inside its data roots)."""
        w = {"path": os.fspath(weights)}
        if orientation is not None:
            w["orientation"] = orientation
        body = {"weights": w}
        if k is not None:
            body["k"] = int(k)
        if preprocessing is not None:
            body["preprocessing"] = preprocessing
        return self.post("/v1/layers/%s/saes" % _id(layer), body)

    def saes(self, layer):
        return self.get("/v1/layers/%s/saes" % _id(layer))["items"]

    def sae(self, ref):
        return self.get("/v1/saes/%s" % _id(ref))

    # -- jobs -------------------------------------------------------------------------------------------------
    def job(self, ref):
        return self.get("/v1/jobs/%s" % _id(ref))

    def cancel_job(self, ref):
        return self.delete("/v1/jobs/%s" % _id(ref))

    def wait_job(self, ref, timeout=None, label="job"):
        """Poll a job until it completes (returns it); failed or cancelled raises JobError, timeout WaitTimeout."""

        def look():
            job = self.job(ref)
            p = job.get("progress") or {}
            done = job["state"] in JOB_DONE
            return job, 1.0 if job["state"] == "completed" else p.get("fraction", 0.0), p.get("stage", job["state"]), done

        job = self._wait(look, timeout, "%s %s" % (label, _id(ref)))
        if job["state"] != "completed":
            raise JobError("%s %s %s: %s" % (label, job["id"], job["state"], job.get("error") or ""), job)
        return job

    def _wait(self, look, timeout, label):
        bar = ProgressBar(label, enabled=self.progress)
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            while True:
                value, fraction, text, done = look()
                bar.update(fraction, text or "")
                if done:
                    return value
                if deadline is not None and time.monotonic() > deadline:
                    raise WaitTimeout("%s not finished after %s s (it keeps running)" % (label, timeout), value)
                time.sleep(self.poll)
        finally:
            bar.close()

    # -- alignments, runs, comparisons ---------------------------------------------------------------------------
    def align(self, body):
        """POST /v1/alignments (one run per layer; returns the queued runs and jobs)."""
        return self.post("/v1/alignments", body)

    def run(self, ref):
        return self.get("/v1/runs/%s" % _id(ref))

    def compare(self, body):
        """POST /v1/comparisons {source, target, metric, folds, cv?}."""
        return self.post("/v1/comparisons", body)

    def comparison_matrix(self, **query):
        """GET /v1/comparisons/matrix (sourceModelId, targetModelId, metric, representation, cv)."""
        return self.get("/v1/comparisons/matrix", **query)

    def scores(self, **query):
        """GET /v1/scores as a table (modelId, layerId, representation, subject, atlas, roi, preset, ...)."""
        return rows_table(flatten(r) for r in self._items("/v1/scores", **query))

    def scores_matrix(self, **query):
        return self.get("/v1/scores/matrix", **query)

    # -- studies ----------------------------------------------------------------------------------------------------
    def create_study(self, body=None, **fields):
        """POST /v1/studies (body as a dict and/or keyword fields: datasetId, subjects, layerIds, ...)."""
        body = dict(body or {}, **fields)
        if "datasetId" in body:
            body["datasetId"] = self._dataset_id(body["datasetId"])
        if "layerIds" in body:
            body["layerIds"] = [_id(l) for l in body["layerIds"]]
        return self.post("/v1/studies", body)

    def run_study(self, body=None, timeout=None, **fields):
        """Create a study and wait for it (progress bar); returns the finished study."""
        return self.wait_study(self.create_study(body, **fields), timeout=timeout)

    def study(self, ref):
        return self.get("/v1/studies/%s" % _id(ref))

    def studies(self):
        return self._items("/v1/studies")

    def cancel_study(self, ref):
        return self.delete("/v1/studies/%s" % _id(ref))

    def wait_study(self, ref, timeout=None, raise_on_failure=True):
        """Poll a study until it ends; a failed or cancelled study raises JobError (unless raise_on_failure=False)."""

        def look():
            s = self.study(ref)
            p = s["progress"]
            running = p.get("running") or []
            # Running entries are jobs (one per subject x layer): count in jobs where the study reports them.
            done, total = (p["jobs"]["done"], p["jobs"]["total"]) if p.get("jobs") else (p["done"], p["total"])
            fraction = (done + sum(r.get("fraction") or 0 for r in running)) / max(1, total)
            return s, fraction, "%d/%d cells, %s" % (p["done"], p["total"], s["state"]), s["state"] in STUDY_DONE

        s = self._wait(look, timeout, "study %s" % _id(ref)[:8])
        if raise_on_failure and s["state"] != "succeeded":
            errors = "; ".join(sorted({c["error"] for c in s.get("cells", []) if c.get("error")}))
            raise JobError("study %s %s: %s" % (s["id"], s["state"], errors), s)
        return s

    def study_results(self, ref):
        """The study's tidy results (one row per subject x layer x representation x ROI) as a table."""
        s = ref if isinstance(ref, dict) and "results" in ref else self.study(ref)
        return rows_table(flatten(r) for r in s["results"])

    def study_comparisons(self, ref, a="neurons", b="sae", table="cells", adjust="bh"):
        """b - a per cell (table="cells": interval, p, q, ...) or across subjects (table="subjects") as a table.

        The default is the SAE - neurons table. Columns as the service's CSV (README, Statistics).
        """
        text = self.http.send(
            "GET", "/v1/studies/%s/comparisons" % _id(ref),
            query={"a": a, "b": b, "table": table, "adjust": adjust, "format": "csv"}, accept="text/csv",
        )[2]
        return csv_table(text)

    def study_comparisons_json(self, ref, a="neurons", b="sae", adjust="bh"):
        """The same comparison as the service's JSON ({cells, subjects, ...})."""
        return self.get("/v1/studies/%s/comparisons" % _id(ref), a=a, b=b, adjust=adjust)
