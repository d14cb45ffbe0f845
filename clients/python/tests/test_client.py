"""The client against the real service (started by test/api/python-client.test.ts, which sets the environment):
ALIGN_URL and ALIGN_API_KEY; BRAIN_ALIGN_DIR and DATABASE_URL (the checkout and the service's database, for
create_key); BRAIN_ALIGN_TEST_SET, a JSON {root, manifestPath, layers: [{name, activations, stimulusIds}]}
describing a synthetic NSD set written inside the service's data roots.

Registers a model whose layers come from a numpy array and from a streamed file, trains an SAE per layer, runs a
small study, reads the results and the SAE - neurons table as DataFrames and checks problem errors.
"""
import io
import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import numpy as np  # noqa: E402

from brain_align import Client, JobError, ProblemError, WaitTimeout, create_key, has_pandas  # noqa: E402
from brain_align.npy import write_matrix  # noqa: E402
from brain_align.progress import ProgressBar  # noqa: E402
from brain_align.tables import csv_table  # noqa: E402

def records(table):
    """A table's rows as dicts, whether it is a DataFrame or already a list."""
    return table.to_dict("records") if hasattr(table, "to_dict") else table


SET = json.loads(os.environ.get("BRAIN_ALIGN_TEST_SET", "null") or "null")
SAE = {"k": 4, "expansion": 2, "epochs": 3, "batchSize": 64, "seed": 1}
ROIS = ["prf-visualrois/V1v", "nsdgeneral/nsdgeneral"]


@unittest.skipUnless(SET and os.environ.get("ALIGN_URL"), "needs the service (run by test/api/python-client.test.ts)")
class AgainstTheService(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.api = Client(progress=True, poll=0.2)
        cls.dataset = cls.api.create_dataset("py-set", SET["root"], manifest_path=SET["manifestPath"])
        cls.model = cls.api.create_model("py-net", description="registered from Python")
        first, second = SET["layers"][:2]
        cls.array = np.load(first["activations"])
        cls.ids = np.load(first["stimulusIds"])
        # One layer from a numpy array (written to a temporary .npy), one streamed from its file.
        cls.layer_a = cls.api.add_layer(cls.model, "from-numpy", cls.array, cls.ids)
        cls.layer_b = cls.api.add_layer(cls.model, "from-file", second["activations"], second["stimulusIds"],
                                        preprocessing={"clamp": "relu"})
        cls.saes = [cls.api.train_sae(layer, timeout=240, **SAE) for layer in (cls.layer_a, cls.layer_b)]
        cls.study = cls.api.run_study(
            name="py-study", datasetId=cls.dataset["name"], subjects=["subj01"],
            layerIds=[cls.layer_a, cls.layer_b], representations=["neurons", "sae"], rois=ROIS,
            folds={"k": 4, "seed": 0}, timeout=600,
        )

    def test_layer_from_numpy_keeps_shape_and_ids(self):
        self.assertEqual(self.layer_a["count"], self.array.shape[0])
        self.assertEqual(self.layer_a["width"], self.array.shape[1])
        model = self.api.model("py-net")
        self.assertEqual([l["name"] for l in model["layers"]], ["from-numpy", "from-file"])
        self.assertEqual(self.api.layer(self.layer_b["id"])["preprocessing"], {"clamp": "relu"})
        self.assertEqual(self.api.find_layer("py-net", "from-file")["id"], self.layer_b["id"])

    def test_saes_trained(self):
        for sae in self.saes:
            self.assertEqual(sae["status"], "ready")
        self.assertEqual(len(self.api.saes(self.layer_a)), 1)

    def test_study_results_as_dataframe(self):
        self.assertEqual(self.study["state"], "succeeded")
        table = self.api.study_results(self.study)
        self.assert_table_type(table)
        rows = records(table)
        # 1 subject x 2 layers x 2 representations x 2 ROIs, one row each.
        self.assertEqual(len(rows), 8)
        for column in ("subject", "layerId", "representation", "roi", "value", "sem"):
            self.assertIn(column, rows[0])
        self.assertEqual(sorted({r["representation"] for r in rows}), ["neurons", "sae"])
        self.assertTrue(all(np.isfinite(r["value"]) for r in rows))

    def test_sae_minus_neurons_table(self):
        table = self.api.study_comparisons(self.study)  # b - a = SAE - neurons per cell
        self.assert_table_type(table)
        rows = records(table)
        self.assertEqual(len(rows), 4)  # 2 layers x 2 ROIs
        for column in ("layer", "roi", "a", "b", "difference", "lower", "upper", "p", "q"):
            self.assertIn(column, rows[0])
        for r in rows:
            self.assertAlmostEqual(r["difference"], r["b"] - r["a"], places=9)
            self.assertLessEqual(r["lower"], r["difference"])
            self.assertGreaterEqual(r["upper"], r["difference"])
        # a is the neurons value of the same layer and ROI in the study's results.
        results = records(self.api.study_results(self.study))
        for r in rows:
            (neurons,) = [x for x in results if x["representation"] == "neurons" and x["layerId"] == r["layerId"]
                          and x["roi"] == r["roi"]]
            self.assertAlmostEqual(r["a"], neurons["value"], places=9)
        subjects = self.api.study_comparisons(self.study, table="subjects")
        self.assertEqual(len(records(subjects)), 4)

    def assert_table_type(self, table):
        if os.environ.get("BRAIN_ALIGN_EXPECT_PANDAS") == "1":
            import pandas as pd

            self.assertIsInstance(table, pd.DataFrame)
        elif not has_pandas():
            self.assertIsInstance(table, list)

    def test_problem_errors_carry_the_problem_fields(self):
        with self.assertRaises(ProblemError) as caught:
            self.api.create_model("no spaces allowed")
        e = caught.exception
        self.assertEqual(e.status, 400)
        self.assertTrue(e.type.endswith("/problems/validation"), e.type)
        self.assertTrue(e.title)
        self.assertIsNotNone(e.field("body.name"))
        self.assertIn("body.name", str(e))
        with self.assertRaises(ProblemError) as caught:
            self.api.job("00000000-0000-0000-0000-000000000000")
        self.assertEqual(caught.exception.status, 404)
        with self.assertRaises(ProblemError) as caught:
            Client(key="not-a-key", progress=False).create_model("never")
        self.assertEqual(caught.exception.status, 401)
        self.assertTrue(caught.exception.type.endswith("/problems/unauthorized"), caught.exception.type)

    def test_stimuli_of_a_subject(self):
        ids = self.api.stimulus_ids("py-set", "subj01")
        self.assertEqual(ids, sorted(ids))
        # The synthetic layer files carry every image of the set; the subject saw some of them.
        self.assertTrue(ids and set(ids) <= {int(i) for i in self.ids})
        table = records(self.api.stimuli(self.dataset, "subj01"))
        self.assertEqual([r["nsdId"] for r in table], ids)
        shared = records(self.api.stimuli(self.dataset, "subj01", shared1000=True))
        self.assertTrue(shared and all(r["shared1000"] for r in shared))
        png = self.api.stimulus_image(self.dataset, "subj01", ids[0])
        self.assertEqual(png[:8], b"\x89PNG\r\n\x1a\n")
        with self.assertRaises(ProblemError) as caught:
            self.api.stimulus_image(self.dataset, "subj01", 72999 if 72999 not in ids else 72998)
        self.assertEqual(caught.exception.status, 404)

    def test_network_upload_and_extraction_register_layers(self):
        net = SET["network"]
        model = self.api.create_model("py-vit")
        attached = self.api.upload_network(model, net["file"])  # streamed PUT with a progress bar
        taps = net["taps"][:2]
        for tap in taps:
            self.assertIn(tap["tensor"], attached["tensors"])
        self.assertEqual(self.api.network(model)["tensors"], attached["tensors"])
        layers = [{"tensor": t["tensor"], "name": t["name"], "pooling": t["pooling"]} for t in taps]
        ex = self.api.extract(model, "py-set", layers, subjects=["subj01"], preprocessing=net["preprocessing"],
                              timeout=300)
        self.assertEqual(ex["status"], "completed")
        self.assertEqual(len(ex["layerIds"]), 2)
        registered = self.api.model(model)["layers"]
        self.assertEqual([l["name"] for l in registered], [t["name"] for t in taps])
        self.assertEqual(registered[0]["count"], ex["stimulusCount"])
        self.assertEqual(self.api.extractions(model)[0]["id"], ex["id"])
        # An identical request is the same extraction.
        self.assertEqual(self.api.extract(model, "py-set", layers, subjects=["subj01"],
                                          preprocessing=net["preprocessing"])["id"], ex["id"])

    @unittest.skipUnless(os.environ.get("BRAIN_ALIGN_DIR"), "needs the checkout and its database (BRAIN_ALIGN_DIR)")
    def test_a_key_from_the_cli_writes(self):
        key = create_key("python-test")
        self.assertTrue(key.startswith("ak_"))
        model = Client(key=key, progress=False).create_model("by-python-key", exist_ok=False)
        self.assertEqual(model["name"], "by-python-key")

    def test_bad_upload_is_a_problem_naming_the_field(self):
        with self.assertRaises(ProblemError) as caught:
            self.api.add_layer(self.model, "too-few-ids", self.array, self.ids[:-1])
        self.assertEqual(caught.exception.status, 400)
        self.assertTrue(caught.exception.errors, caught.exception.body)

    def test_waiting_times_out(self):
        queued = self.api.train_sae(self.layer_a, wait=False, k=4, expansion=2, epochs=200, batchSize=8, seed=2)
        with self.assertRaises(WaitTimeout):
            self.api.wait_job(queued["jobId"], timeout=0)
        self.api.cancel_job(queued["jobId"])
        with self.assertRaises(JobError):
            self.api.wait_job(queued["jobId"], timeout=60)


class WithoutTheService(unittest.TestCase):
    def test_npy_writer_without_numpy_matches_numpy(self):
        with tempfile.TemporaryDirectory() as d:
            rows = [[1.5, -2.0, 3.25], [0.0, 4.0, 5.5]]
            import brain_align.npy as npy

            saved, npy._np = npy._np, None
            try:
                write_matrix(rows, os.path.join(d, "a.npy"))
            finally:
                npy._np = saved
            back = np.load(os.path.join(d, "a.npy"))
            self.assertEqual(back.dtype, np.float32)
            np.testing.assert_array_equal(back, np.asarray(rows, dtype=np.float32))

    def test_csv_without_pandas_parses_numbers(self):
        rows = csv_table("layer,roi,p,q\nl1,V1v,0.5,\n", use_pandas=False)
        self.assertEqual(rows, [{"layer": "l1", "roi": "V1v", "p": 0.5, "q": None}])

    def test_progress_bar_writes_lines_off_a_terminal(self):
        out = io.StringIO()
        bar = ProgressBar("job", stream=out)
        for i in range(101):
            bar.update(i / 100, "stage")
        bar.close()
        self.assertEqual(len(out.getvalue().splitlines()), 11)

    def test_unreachable_service_is_a_connection_error(self):
        with self.assertRaises(ConnectionError) as caught:
            Client(url="http://127.0.0.1:9", progress=False).health()
        self.assertIn("ALIGN_URL", str(caught.exception))

    def test_problem_error_from_plain_answer(self):
        e = ProblemError.from_answer(502, "Bad Gateway", "text/html", "<html>")
        self.assertEqual((e.status, e.title, e.type, e.errors), (502, "Bad Gateway", None, []))


if __name__ == "__main__":
    unittest.main()
