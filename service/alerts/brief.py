"""The counter-narrative brief attached to every alert: what to answer, with what, and where."""
from __future__ import annotations

from collections import Counter

from core.domain import Campaign, Post
from service.alerts.text import content_tokens


def post_card(post: Post, chars: int = 280) -> dict:
    return {"post_id": post.id, "platform": post.platform, "author": post.author, "url": post.url,
            "created_at": post.created_at.isoformat(), "text": post.text[:chars],
            "engagement": post.engagement.total, "sentiment": post.classification.sentiment,
            "hoax": post.classification.hoax}


def evidence_summary(posts: list[Post], accounts: int = 10) -> dict:
    """The figures behind an alert that every kind shares: posts, distinct accounts (the busiest named), time span."""
    if not posts:
        return {}
    by_account = Counter((p.platform, p.author or "?") for p in posts)
    first, last = min(p.created_at for p in posts), max(p.created_at for p in posts)
    return {"posts": len(posts), "accounts": len(by_account),
            "top_accounts": [{"platform": pl, "author": a, "posts": n} for (pl, a), n in by_account.most_common(accounts)],
            "first": first.isoformat(), "last": last.isoformat(),
            "span_minutes": round((last - first).total_seconds() / 60, 1)}


def build_brief(campaign: Campaign | None, posts: list[Post], narrative: dict | None = None,
                claims: dict[str, str] | None = None, answer: int = 3) -> dict:
    debunks: dict[str, str] = dict(claims or {})
    reasons: dict[str, str] = {}  # claim id -> "matches debunk 'X' (turnbackhoax.id, 2025-11-03, similarity 0.91)"
    for p in posts:
        c = p.classification
        if c.matched_claim_id or c.matched_claim_url:
            key = c.matched_claim_id or c.matched_claim_url or ""
            debunks.setdefault(key, c.matched_claim_url or "")
            reasons.setdefault(key, next((r for r in c.hoax_reasons if r.startswith("matches debunk")), ""))
    top = sorted(posts, key=lambda p: (-p.engagement.total, p.created_at))[:answer]
    messages = list(campaign.key_messages) if campaign else []
    best = relevant_message(campaign, posts, narrative)
    debunk_list = [{"claim_id": k, "url": v, **({"reason": reasons[k]} if reasons.get(k) else {})}
                   for k, v in debunks.items() if k or v]
    reply = None
    if messages or debunk_list:
        parts = [messages[best]] if messages else []
        if debunk_list and debunk_list[0]["url"]:
            parts.append(f"Cek fakta: {debunk_list[0]['url']}")
        reply = " ".join(parts)
    return {
        "campaign": campaign.id if campaign else None,
        "campaign_name": campaign.name if campaign else None,
        "debunks": debunk_list,
        "key_messages": messages,
        "key_message": best if messages else None,  # index of the message the suggested reply uses
        "answer_posts": [post_card(p) for p in top],
        "narrative": {k: narrative.get(k) for k in ("id", "label", "keywords", "size", "first_seen",
                                                     "seed_accounts", "hoax_share")} if narrative else None,
        "suggested_reply": reply,
    }


def relevant_message(campaign: Campaign | None, posts: list[Post], narrative: dict | None = None) -> int:
    """Index of the campaign key message closest to the narrative: each of the message's words scores the share of
    the narrative's posts (and its label and keywords) that use it. The campaign's own keywords are left out: every
    post collected for the campaign has them, so they say nothing about which message answers this narrative.
    Ties keep the earlier message."""
    messages = list(campaign.key_messages) if campaign else []
    if len(messages) < 2:
        return 0
    background = {t for k in [campaign.name, *campaign.keywords, *campaign.hashtags] for t in content_tokens(k)}
    texts = [p.text for p in posts] + ([" ".join([narrative.get("label") or "", *(narrative.get("keywords") or [])])]
                                       if narrative else [])
    share = Counter(t for text in texts for t in set(content_tokens(text)) - background)
    scores = [sum(share[t] for t in set(content_tokens(m))) / max(1, len(texts)) for m in messages]
    return max(range(len(messages)), key=lambda i: (scores[i], -i))


def render_text(alert: dict, max_examples: int = 2) -> str:
    """Plain-text rendering for Telegram and email (no markup: safe for any client)."""
    brief = alert.get("brief") or {}
    why = alert.get("why") or {}
    lines = [f"[{alert['severity'].upper()}] {alert['title']}", f"Campaign: {alert['campaign']}  Rule: {alert['rule']}"]
    figures = why.get("figures") or {}
    if figures:
        lines.append("Why: " + ", ".join(f"{k}={v}" for k, v in list(figures.items())[:8] if not isinstance(v, list)))
    summary = why.get("summary") or {}
    if summary:
        lines.append(f"Evidence: {summary['posts']} post(s) from {summary['accounts']} account(s), "
                     f"{summary['first'][:16]} to {summary['last'][:16]} UTC ({summary['span_minutes']} min)")
        named = ", ".join(f"@{a['author']} ({a['platform']}, {a['posts']})" for a in summary.get("top_accounts") or [])
        lines.append(f"Accounts: {named}")
    for ex in (why.get("examples") or [])[:max_examples]:
        lines.append(f"- {ex.get('author')}: {str(ex.get('text'))[:160]}")
    for d in brief.get("debunks") or []:
        lines.append(f"Debunk: {d.get('reason') or d.get('url') or d.get('claim_id')}")
    for m in (brief.get("key_messages") or [])[:3]:
        lines.append(f"Key message: {m}")
    for p in (brief.get("answer_posts") or [])[:3]:
        if p.get("url"):
            lines.append(f"Answer: {p['url']}")
    if brief.get("suggested_reply"):
        lines.append(f"Suggested reply: {brief['suggested_reply']}")
    lines.append(f"Alert id: {alert['id']}")
    return "\n".join(lines)
