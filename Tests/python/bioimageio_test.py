"""Runs bioimageio.core's model test on a package folder, as `bioimageio
test FOLDER` does, and prints its outcome as JSON: the overall status and
each check's name and status. Exits 0 when the test ran, whatever its
outcome (the caller judges it).

    python bioimageio_test.py PACKAGE
"""
import json
import sys

from bioimageio.core import test_model

summary = test_model(sys.argv[1])
details = [{"name": d.name, "status": d.status,
            "errors": [str(e.msg) for e in getattr(d, "errors", [])]}
           for d in summary.details]
print(json.dumps({"status": summary.status, "details": details}))
