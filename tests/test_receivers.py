"""The receiver registry: each integration has a model, a template and fixture coverage; the
secret files it marks are the ones compose mounts; the new integrations refuse what
Alertmanager 0.25 would refuse (or cannot read from a file)."""

from __future__ import annotations

import io
import typing
from pathlib import Path
from typing import Annotated, Any

import pytest
from pydantic import BaseModel
from ruamel.yaml import YAML

from conftest import FIXTURES, ROOT, run_sfmon
from sfmon.model.base import Secret
from sfmon.model.receivers import INTEGRATIONS, Receiver
from sfmon.pipeline import load, load_and_check, render

SPEC = FIXTURES / "specs" / "valid" / "receivers.yaml"
yaml = YAML(typ="safe")


def spec_data() -> dict[str, Any]:
    return yaml.load(SPEC.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: Any) -> Path:
    buf = io.StringIO()
    YAML(typ="safe").dump(data, buf)
    path = tmp_path / "spec.yaml"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


# --- what the models mark, read independently of sfmon's own walk ------------------------------


def _marked(tp: Any) -> bool:
    """The Secret marker, wherever pydantic left it: in Annotated metadata, inside Optional."""
    if typing.get_origin(tp) is Annotated:
        return any(isinstance(m, Secret) for m in tp.__metadata__) or _marked(typing.get_args(tp)[0])
    return any(_marked(arg) for arg in typing.get_args(tp))


def _field_type(field: Any) -> Any:
    return Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation


def _models_in(tp: Any) -> list[type[BaseModel]]:
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [tp]
    return [m for arg in typing.get_args(tp) for m in _models_in(arg)]


def marked_files(model: type[BaseModel], raw: Any) -> set[str]:
    """The values of the spec data `raw` (for `model`) in fields whose type carries the marker."""
    out: set[str] = set()
    for name, field in model.model_fields.items():
        key = field.alias or name
        if not isinstance(raw, dict) or raw.get(key) is None:
            continue
        if _marked(_field_type(field)):
            out.add(raw[key])
            continue
        for nested in _models_in(field.annotation):
            for item in raw[key] if isinstance(raw[key], list) else [raw[key]]:
                out |= marked_files(nested, item)
    return out


def all_fields(model: type[BaseModel], where: str) -> list[tuple[str, Any]]:
    out = []
    for name, field in model.model_fields.items():
        out.append((f"{where}.{field.alias or name}", field))
        for nested in _models_in(field.annotation):
            out += all_fields(nested, f"{where}.{field.alias or name}")
    return out


# --- the registry is complete -----------------------------------------------------------------


NEWER = FIXTURES / "specs" / "newer" / "receivers.yaml"  # integrations Alertmanager 0.25 cannot read from files


def test_receivers_fixture_uses_every_integration():
    newer = yaml.load(NEWER.read_text(encoding="utf-8"))["receivers"]
    used = {key for r in [*spec_data()["receivers"], *newer] for key in r if key != "name"}
    assert used == set(INTEGRATIONS), "use every registered integration in tests/fixtures/specs/valid/receivers.yaml (or newer/, for one gated on alertmanager.version)"
    gated = {key for r in newer for key in r if key != "name" and INTEGRATIONS[key].since is not None}
    assert gated == {k for k, e in INTEGRATIONS.items() if e.since is not None}


def test_every_integration_has_its_field_template_and_configs_key():
    templates = ROOT / "templates" / "receivers"
    for key, entry in INTEGRATIONS.items():
        assert entry.key == key and entry.configs == f"{key}_configs"
        assert Receiver.model_fields[key].annotation == entry.model | None
        assert (ROOT / "templates" / entry.template).is_file(), entry.template
    assert sorted(p.name for p in templates.iterdir()) == sorted(Path(e.template).name for e in INTEGRATIONS.values())
    assert list(Receiver.model_fields) == ["name", "shared", *INTEGRATIONS]  # shared: the leave team files need (docs/teams.md)


def test_property_strategies_build_every_integration():
    from spec_strategies import INTEGRATIONS as BUILT

    assert BUILT == list(INTEGRATIONS), "teach tests/spec_strategies.py::receivers the new integration"


@pytest.mark.parametrize("key", list(INTEGRATIONS))
def test_a_file_field_is_a_marked_secret_and_only_those(key):
    """The loader refuses an inline X where X_file exists; compose mounts what is marked. The
    two agree only while every *_file field is marked and every marked field is a *_file."""
    fields = all_fields(INTEGRATIONS[key].model, key)
    assert fields
    for where, field in fields:
        assert where.endswith("_file") == _marked(_field_type(field)), where


# --- compose mounts what the markers say --------------------------------------------------------


def _variants() -> dict[str, dict[str, Any]]:
    """The fixture, and one with the other credential of PagerDuty and webhook."""
    other = spec_data()
    for r in other["receivers"]:
        if "pagerduty" in r:
            r["pagerduty"] = {"service_key_file": "/run/secrets/pagerduty_v1_key"}
        if "webhook" in r:
            r["webhook"] = {"url": r["webhook"]["url"], "bearer_token_file": "/etc/alertmanager/hook token"}
    return {"fixture": spec_data(), "other-credentials": other}


@pytest.mark.parametrize("variant", sorted(_variants()))
def test_compose_mounts_every_secret_file_the_models_mark(tmp_path, variant):
    data = _variants()[variant]
    by_integration: dict[str, set[str]] = {key: set() for key in INTEGRATIONS}
    for r in data["receivers"]:
        for key, entry in INTEGRATIONS.items():
            if key in r:
                by_integration[key] |= marked_files(entry.model, r[key])
    # Each integration with a credential contributes (SNS has none: AWS credentials by role);
    # the ones gated on a newer Alertmanager are in tests/fixtures/specs/newer/ (test_messages.py).
    used = {key for r in data["receivers"] for key in INTEGRATIONS if key in r}
    assert [k for k, files in by_integration.items() if not files and k in used] == ["sns"]
    expected = set().union(*by_integration.values())
    compose = yaml.load(render(load(write(tmp_path, data)))["docker-compose.yml"])
    mounts = compose["services"]["alertmanager"]["secrets"]
    assert {m["target"] for m in mounts} == expected  # this spec has no web TLS: receivers only
    for m in mounts:
        assert m["source"] in compose["secrets"]
    assert not compose["services"]["prometheus"].get("secrets")


# --- what the new integrations refuse ---------------------------------------------------------


def problems(tmp_path: Path, data: Any) -> list[str]:
    _, found = load_and_check(write(tmp_path, data))
    return [p.message for p in found if p.severity >= 2]


def receiver(data: dict[str, Any], name: str) -> tuple[int, dict[str, Any]]:
    return next((i, r) for i, r in enumerate(data["receivers"]) if r["name"] == name)


@pytest.mark.parametrize(
    "name,key,change,message",
    [
        ("sms", "sns", {"topic_arn": "arn:aws:sns:us-east-1:123456789012:x"}, "set exactly one of topic_arn, target_arn or phone_number"),
        ("sms", "sns", {"phone_number": None}, "set exactly one of topic_arn, target_arn or phone_number"),
        ("sms", "sns", {"phone_number": "555-0100"}, "invalid phone number '555-0100': use E.164"),
        ("topic", "sns", {"topic_arn": "alerts"}, "invalid ARN 'alerts'"),
        ("topic", "sns", {"sigv4": {}}, "required field is missing"),
        ("ops-genie", "opsgenie", {"responders": [{"type": "team"}]}, "set exactly one of id, name or username"),
        ("ops-genie", "opsgenie", {"responders": [{"type": "group", "name": "x"}]}, "Input should be 'team', 'teams', 'user', 'escalation' or 'schedule'"),
        ("ops-genie", "opsgenie", {"tags": ["a,b"]}, "a tag must not contain ','"),
        ("ops-genie", "opsgenie", {"priority": "P6"}, "Input should be 'P1', 'P2', 'P3', 'P4' or 'P5'"),
        ("ops-genie", "opsgenie", {"api_key_file": None}, "required field is missing"),
        ("pager", "victorops", {"routing_key": None}, "required field is missing"),
        ("bot", "webex", {"room_id": " "}, "must not be empty"),
        ("bot", "webex", {"bot_token_file": None}, "required field is missing"),
    ],
)
def test_new_integrations_refuse_what_alertmanager_would(tmp_path, name, key, change, message):
    data = spec_data()
    i, r = receiver(data, name)
    for field, value in change.items():
        if value is None:
            del r[key][field]
        else:
            r[key][field] = value
    found = problems(tmp_path, data)
    assert any(m.startswith(f"receivers[{i}].{key}") and message in m for m in found), found


def test_a_receiver_problem_is_placed_in_the_spec(tmp_path):
    data = spec_data()
    i, r = receiver(data, "sms")
    r["sns"]["topic_arn"] = "arn:aws:sns:us-east-1:123456789012:x"
    spec = write(tmp_path, data)
    done = run_sfmon("generate", "--spec", str(spec), "--out", str(tmp_path / "out"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    text = spec.read_text(encoding="utf-8").splitlines()
    line = next(n for n, t in enumerate(text, 1) if "+14155550100" in t)
    out = done.stdout + done.stderr
    assert f"{spec}:" in out and f"receivers[{i}].sns: set exactly one of topic_arn, target_arn or phone_number" in out
    placed = next(s for s in out.splitlines() if "set exactly one of topic_arn" in s)
    assert abs(int(placed.split(":")[1]) - line) <= 2, placed
