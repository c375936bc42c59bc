"""The tip desk: every tip from the Telegram bot or the WhatsApp number goes through `receive`.

handled once (message key) → rate limit per sender hash → the post (`platform=tipline`, no sender in it) goes
through the pipeline like any other (campaign tagging, classifiers with the debunk database, store, alerts) → the
sender is answered at once: the matching debunk (title + link) or "received, under review", in Indonesian, or in
English when the tip is English. Only the sender ever gets an answer, and no answer quotes a tip.

`answer_alert` is the alert desk's counter-message to the senders of the tips behind one alert (each sender at most
once per alert, audited in the alert's trail).
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from classifiers.claims import shown_title
from collectors.tipline import Tip
from core.domain import Alert, Post
from service.alerts.store import AlertStore
from service.pipeline import Pipeline
from service.tipline.config import TiplineSettings
from service.tipline.send import Replier
from service.tipline.store import TipStore
from service.tipline.vault import SenderVault

log = logging.getLogger(__name__)

TEXTS = {
    "id": {
        "debunk": "Terima kasih. Informasi ini sudah diperiksa dan dinyatakan tidak benar: {title}\n{url}",
        "review": "Terima kasih, laporan Anda sudah kami terima dan sedang ditinjau.",
        "empty": "Kirimkan teks pesan, atau foto/video dengan keterangannya, agar dapat kami periksa.",
        "limit": "Terima kasih atas laporan Anda. Anda sudah mengirim banyak pesan; pesan berikutnya akan kami "
                 "terima lagi sebentar lagi.",
        "start": "Selamat datang di layanan aduan hoaks. Teruskan pesan yang meragukan ke sini; kami akan "
                 "memeriksanya dan membalas.",
    },
    "en": {
        "debunk": "Thank you. This has been fact-checked and found false: {title}\n{url}",
        "review": "Thank you, your report has been received and is under review.",
        "empty": "Please send the message text, or a photo/video with its caption, so that we can check it.",
        "limit": "Thank you for your reports. You have sent many messages; please try again a little later.",
        "start": "Welcome to the hoax tipline. Forward a doubtful message here; we will check it and answer.",
    },
}


@dataclass
class Received:
    outcome: str  # duplicate | silent | notice | command | empty | debunk | review
    post_id: str | None = None


def reply_lang(detected: str | None, hint: str | None = None) -> str:
    lang = detected or hint or "id"
    return "en" if lang.lower().startswith("en") else "id"


class TipDesk:
    def __init__(self, settings: TiplineSettings, store: TipStore, vault: SenderVault, pipeline: Pipeline,
                 alerts: AlertStore, replier: Replier | None = None):
        self.settings = settings
        self.store = store
        self.vault = vault
        self.pipeline = pipeline
        self.alerts = alerts
        self.replier = replier or Replier(settings)
        self._lock = threading.Lock()  # one tip at a time: rate-limit windows and answers stay consistent

    # -- inbound --
    def receive(self, tip: Tip) -> Received:
        """Raises only when the tip could not be kept (the caller answers 503: the platform retries)."""
        message = self.vault.message_key(tip.channel, tip.key)
        with self._lock:
            if not self.store.begin(message):
                return Received("duplicate")
            try:
                received = self._handle(tip, message)
            except BaseException:
                self.store.abandon(message)
                raise
            self.store.finish(message)
            return received

    def _handle(self, tip: Tip, message: str) -> Received:
        self.store.erase_expired()  # addresses older than reply_days go, whether or not anyone answered them
        sender = self.vault.sender_hash(tip.channel, tip.sender)
        admitted = self.store.admit(sender, self.settings.rate_limit, self.settings.rate_window_minutes * 60)
        lang = reply_lang(None, tip.sender_lang)
        if admitted != "ok":
            if admitted == "notice":
                self._answer(tip, TEXTS[lang]["limit"])
            return Received(admitted)
        if tip.command:
            self._answer(tip, TEXTS[lang]["start"])
            return Received("command")
        if not tip.text:
            self._answer(tip, TEXTS[lang]["empty"])
            return Received("empty")
        post = self._post(tip, message)
        classified: list[Post] = []
        self.pipeline.process([post], on_classified=classified.extend)
        post = classified[0] if classified else post
        c = post.classification
        lang = reply_lang(post.lang, tip.sender_lang)
        claim = self._claim(c.matched_claim_id) if c.matched_claim_id else None
        if c.matched_claim_id:
            title = (claim or {}).get("title") or c.matched_claim_id
            text = TEXTS[lang]["debunk"].format(title=title, url=c.matched_claim_url or "")
            answer = "debunk"
        else:
            text, answer = TEXTS[lang]["review"], "review"
        self.store.add_tip(post.id, tip.channel, sender, time.time(), answer, c.matched_claim_id,
                           c.matched_claim_url)
        self.store.put_route(sender, tip.channel, self.vault.seal(tip.sender), tip.account,
                             time.time() + self.settings.reply_days * 86400)
        self._answer(tip, text.strip())
        return Received(answer, post.id)

    def _post(self, tip: Tip, message: str) -> Post:
        raw = {"channel": tip.channel, "kind": tip.kind, "forwarded": tip.forwarded}
        if tip.origin:
            raw["forward_origin"] = tip.origin
        return Post(source=f"tipline:{tip.channel}", native_id=message, platform="tipline", text=tip.text,
                    created_at=tip.created_at, url=tip.origin.get("url"), raw=raw)

    def _claim(self, claim_id: str) -> dict | None:
        index = getattr(self.pipeline.classifier, "claims", None)
        claim = index.claims.get(claim_id) if index is not None else None
        return None if claim is None else {"title": shown_title(claim.title or claim.text)[:300]}

    def _answer(self, tip: Tip, text: str) -> None:
        outcome = self.replier.send(tip.channel, tip.sender, text, tip.reply_ref, tip.account)
        if not outcome.ok:  # the tip is kept either way; the error never names the sender
            log.warning("tipline answer on %s not sent: %s", tip.channel, outcome.error)

    # -- the alert desk --
    def tips_of_alert(self, alert: Alert) -> list[str]:
        """Tip post ids behind an alert: its own posts, and the tips of its narrative."""
        ids = list(alert.post_ids)
        narrative = ((alert.why or {}).get("narrative") or {}).get("id") or \
            ((alert.brief or {}).get("narrative") or {}).get("id")
        if narrative:
            ids += [p["post_id"] for p in self.alerts.ledger.narrative_posts(narrative, "tipline", newest=1000)]
        ids = list(dict.fromkeys(ids))
        found = self.store.tips(ids)
        return [i for i in ids if i in found]

    def answer_alert(self, alert: Alert, text: str, actor: str) -> dict:
        """Send `text` to each sender of the alert's tips once; returns counts (never who)."""
        counts = {"senders": 0, "sent": 0, "already": 0, "unreachable": 0, "failed": 0}
        # no desk lock: incoming tips keep flowing while this sends; claim_answer alone makes each sender once
        for sender in self.store.senders(self.tips_of_alert(alert)):
            counts["senders"] += 1
            if not self.store.claim_answer(alert.id, sender):
                counts["already"] += 1
                continue
            route = self.store.route(sender)
            address = self.vault.unseal(route[1]) if route else None
            if route is None or address is None:
                counts["unreachable"] += 1
                self.store.settle_answer(alert.id, sender, False)
                continue
            outcome = self.replier.send(route[0], address, text, None, route[2])
            counts["sent" if outcome.ok else "failed"] += 1
            self.store.settle_answer(alert.id, sender, outcome.ok)
        self.alerts.audit(alert.id, actor, "tipline.answer", {**counts, "chars": len(text)})
        return counts

    def close(self) -> None:
        self.replier.close()
        self.store.close()

