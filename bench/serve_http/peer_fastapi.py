"""FastAPI + uvicorn + xgboost serving the model Keel serves, doing the same work.

The peer of `keel serve` in bench/serve_http/run.sh. It loads what
`keel models export` wrote (KEEL_PEER_EXPORT=DIR: manifest.json, pipeline.json,
model.json) and answers TF Serving's POST /v1/models/NAME:predict with
{"instances": [{field: raw value, ...}]} as Keel does: every input the pipeline
reads must be present, and no other; the fitted pipeline Keel stored (impute, scale, log1p, one_hot,
datetime; its state read from pipeline.json, the steps run in order and replace
their columns in place, as keel/transform does) turns the raw fields into the
model's features, xgboost's Booster.inplace_predict scores them (float32,
nthread 1), and the reply is the same JSON bytes Keel writes:
{"predictions":[{"prediction":0,"probability":0.0028213111218065023}]}.

Run: KEEL_PEER_EXPORT=DIR python3 -m uvicorn peer_fastapi:app --app-dir bench/serve_http
--port P --workers N --log-level warning --no-access-log.

The handler is as fast as FastAPI allows: an async route reading the raw body
(no pydantic model), json from the standard library, a plain Response.
"""

import datetime
import json
import math
import os

import numpy as np
import xgboost
from fastapi import FastAPI, Request, Response

EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
MICROSECOND = datetime.timedelta(microseconds=1)


class BadRequest(Exception):
    pass


def _micros(value):
    """RFC 3339 text to microseconds since the epoch (naive text is UTC)."""
    if not isinstance(value, str):
        raise BadRequest(f"expected an RFC 3339 timestamp string, got {value!r}")
    try:
        t = datetime.datetime.fromisoformat(value)
    except ValueError as e:
        raise BadRequest(str(e)) from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=datetime.timezone.utc)
    return (t - EPOCH) // MICROSECOND


def _datetime_part(part, micros, reference_us):
    """One datetime feature of keel/transform/extract_steps.cc (UTC only)."""
    t = EPOCH + datetime.timedelta(microseconds=micros)
    dow = t.weekday()  # Monday 0 .. Sunday 6
    if part == "hour":
        return float(t.hour)
    if part == "dow":
        return float(dow)
    if part == "day":
        return float(t.day)
    if part == "month":
        return float(t.month)
    if part == "year":
        return float(t.year)
    if part == "weekend":
        return 1.0 if dow >= 5 else 0.0
    if part in ("hour_sin", "hour_cos"):
        angle = 2 * math.pi * t.hour / 24
    elif part in ("dow_sin", "dow_cos"):
        angle = 2 * math.pi * dow / 7
    elif part in ("month_sin", "month_cos"):
        angle = 2 * math.pi * (t.month - 1) / 12
    elif part == "seconds":
        return (micros - reference_us) / 1e6
    else:
        raise ValueError(f"datetime feature {part} is not implemented here")
    return math.sin(angle) if part.endswith("_sin") else math.cos(angle)


def _compile_step(step):
    """A function (values: dict name -> value) -> None applying one fitted step."""
    kind, inputs, state = step["step"], step["inputs"], step["state"]
    if kind == "impute":
        cols = list(zip(inputs, state["columns"]))

        def impute(values):
            for name, c in cols:
                missing = values[name] is None
                values[name] = c["fill"] if missing else values[name]
                if c["indicator"]:
                    values[name + "__missing"] = 1.0 if missing else 0.0
        return impute
    if kind in ("scale", "log1p", "clip"):
        op = state["op"]
        cols = list(zip(inputs, state["params"]))

        def apply_map(values):
            for name, (a, b) in cols:
                x = values[name]
                if x is None:
                    continue
                if op == "sub_div":
                    y = (x - a) / b
                elif op == "mul_add":
                    y = x * a + b
                elif op == "log1p":
                    y = math.log1p(x) if x > -1 else None
                else:
                    y = min(max(x, a), b)
                values[name] = y
        return apply_map
    if kind == "one_hot":
        cols = []
        for name, c in zip(inputs, state["columns"]):
            if isinstance(c["unknown"], str):
                raise ValueError("one_hot with handle_unknown: error is not implemented here")
            cols.append((name, dict(c["lookup"]), c["missing"], c["unknown"],
                         [f"{name}={o}" for o in c["outputs"]]))

        def one_hot(values):
            for name, lookup, missing, unknown, outputs in cols:
                v = values.pop(name)
                idx = missing if v is None else lookup.get(v, -1)
                if idx < 0:
                    idx = unknown
                for j, out in enumerate(outputs):
                    values[out] = 1.0 if j == idx else 0.0
        return one_hot
    if kind == "datetime":
        if state["timezone"] != "UTC":
            raise ValueError("datetime steps in a zone other than UTC are not implemented here")
        parts, reference_us = state["features"], state["reference_us"]

        def extract(values):
            for name in inputs:
                v = values.pop(name)
                micros = None if v is None else _micros(v)
                for p in parts:
                    values[f"{name}__{p}"] = (
                        None if micros is None else _datetime_part(p, micros, reference_us))
        return extract
    raise ValueError(f"step {kind} is not implemented in peer_fastapi.py")


class Model:
    """The exported bundle: pipeline steps, feature order, booster."""

    def __init__(self, folder):
        with open(os.path.join(folder, "manifest.json")) as f:
            manifest = json.load(f)
        with open(os.path.join(folder, "pipeline.json")) as f:
            pipeline = json.load(f)
        # What a request must hold: the inputs the steps read (under
        # remainder: drop the others are dropped unread), as Keel asks.
        read = {name for step in pipeline["steps"] for name in step["inputs"]}
        self.inputs = [(i["name"], i["type"]) for i in pipeline["inputs"]
                       if pipeline["remainder"] != "drop" or i["name"] in read]
        self.steps = [_compile_step(s) for s in pipeline["steps"]]
        self.features = manifest["features"]
        self.labels = [int(label) for label in manifest["classes"]["labels"]]
        self.booster = xgboost.Booster(model_file=os.path.join(folder, "model.json"))
        self.booster.set_param({"nthread": 1})
        if self.booster.num_features() != len(self.features):
            raise ValueError("model.json and manifest.json disagree on the features")

    def features_of(self, i, row):
        if not isinstance(row, dict):
            raise BadRequest(f"instances[{i}]: expected an object of fields")
        values = {}
        for name, kind in self.inputs:
            if name not in row:
                raise BadRequest(f"instances[{i}]: input '{name}' is missing")
            v = row[name]
            if v is not None:
                if kind in ("int64", "float64"):
                    if isinstance(v, bool) or not isinstance(v, (int, float)):
                        raise BadRequest(f"instances[{i}].{name}: expected a number")
                    v = float(v)
                elif not isinstance(v, str):
                    raise BadRequest(f"instances[{i}].{name}: expected a string")
            values[name] = v
        if len(row) != len(self.inputs):
            extra = sorted(set(row) - set(values))
            raise BadRequest(f"instances[{i}]: the model has no input '{extra[0]}'")
        for step in self.steps:
            step(values)
        return [math.nan if values[f] is None else values[f] for f in self.features]

    def predict(self, instances):
        x = np.array([self.features_of(i, r) for i, r in enumerate(instances)], dtype=np.float32)
        p = self.booster.inplace_predict(x)
        return [{"prediction": self.labels[1] if q >= 0.5 else self.labels[0],
                 "probability": float(q)} for q in p]


model = Model(os.environ["KEEL_PEER_EXPORT"])
model_name = os.environ.get("KEEL_PEER_MODEL", "fraud")
app = FastAPI()


def _error(code, message):
    return Response(json.dumps({"error": message}), status_code=code,
                    media_type="application/json")


@app.post("/v1/models/{name}:predict")
async def predict(name: str, request: Request):
    if name != model_name:
        return _error(404, f"no model '{name}'")
    try:
        body = json.loads(await request.body())
        instances = body["instances"]
        predictions = model.predict(instances)
    except (BadRequest, ValueError, KeyError, TypeError) as e:
        return _error(400, str(e))
    return Response(json.dumps({"predictions": predictions}, separators=(",", ":")),
                    media_type="application/json")


@app.get("/v2/health/ready")
async def ready():
    return Response('{"ready":true}', media_type="application/json")
