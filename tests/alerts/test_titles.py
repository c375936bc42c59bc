"""Alert titles render per language from their template key: Indonesian pages never show the English wording."""
from __future__ import annotations

import re
import typing

from core.domain import Alert
from dashboards.i18n import ALERT_LABELS, STRINGS, alert_title
from service.alerts.rules import Rule
from service.alerts.text import tokens
from service.alerts.titles import TITLES, render_title

_FIELD = re.compile(r"\{\w+\}")
# Words of the English wording (templates and alert labels) that the Indonesian wording does not use.
ENGLISH = ({w for v in TITLES.values() for w in tokens(_FIELD.sub(" ", v["en"]))}
           | {w for k in ALERT_LABELS for w in tokens(STRINGS[k]["en"])}) \
    - {w for v in TITLES.values() for w in tokens(_FIELD.sub(" ", v["id"]))} \
    - {w for k in ALERT_LABELS for w in tokens(STRINGS[k]["id"])}


def english_left(text: str) -> set[str]:
    return {w for w in tokens(text) if len(w) > 1} & ENGLISH


PARAMS = {"rule": "Isu vaksin", "count": 2, "campaign": "vaksin", "narrative": "n_1", "value": "12", "median": "3",
          "z": "4.5", "accounts": 5, "seconds": 90}


def test_every_title_has_both_languages_with_the_same_parameters_and_no_english_left():
    for key, entry in TITLES.items():
        assert set(_FIELD.findall(entry["en"])) == set(_FIELD.findall(entry["id"])), key
        english, indonesian = render_title(key, PARAMS, "en"), render_title(key, PARAMS, "id")
        assert "{" not in english + indonesian and english != indonesian
        assert not english_left(indonesian), (key, indonesian)
        assert english_left(english), key  # the check can see English


def test_alert_labels_cover_every_severity_status_and_rule_kind():
    kinds = typing.get_args(Rule.model_fields["kind"].annotation)
    for prefix, values in (("sev_", typing.get_args(Alert.model_fields["severity"].annotation)),
                           ("st_", typing.get_args(Alert.model_fields["status"].annotation)), ("kind_", kinds)):
        assert values
        for v in values:
            assert not english_left(STRINGS[prefix + v]["id"]), (prefix, v)


def test_dashboard_title_uses_the_key_and_falls_back_to_the_stored_title():
    a = Alert(id="a1", campaign="vaksin", rule="r", title=render_title("keyword", PARAMS), title_key="keyword",
              title_params=PARAMS, dedup_key="k")
    assert alert_title(a, "id") == "“Isu vaksin” cocok dengan 2 unggahan"
    assert alert_title(a.model_dump(mode="json"), "en") == a.title == "“Isu vaksin” matched 2 post(s)"
    old = a.model_copy(update={"title_key": None, "title_params": {}, "title": "stored before keys"})
    assert alert_title(old, "id") == "stored before keys"
