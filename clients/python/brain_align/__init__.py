"""brain_align: a Python client (standard library only; numpy and pandas used when importable) for brain-align.

    from brain_align import Client
    api = Client()            # ALIGN_URL, ALIGN_API_KEY
    model = api.create_model("my-net")
"""
from .client import Client
from .errors import JobError, ProblemError, WaitTimeout
from .keys import create_key
from .tables import has_pandas

__all__ = ["Client", "ProblemError", "JobError", "WaitTimeout", "create_key", "has_pandas"]
__version__ = "0.1.0"
