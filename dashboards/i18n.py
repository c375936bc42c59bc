"""Bahasa Indonesia (default) and English strings for the dashboards. `?lang=id|en` switches; a cookie keeps it."""
from __future__ import annotations

LANGS = ("id", "en")
DEFAULT = "id"

STRINGS: dict[str, dict[str, str]] = {
    "app": {"id": "narrawatch", "en": "narrawatch"},
    "login": {"id": "Masuk", "en": "Log in"},
    "login_help": {"id": "Tempelkan kunci API Anda. Kunci disimpan dalam cookie HttpOnly.",
                   "en": "Paste your API key. It is kept in an HttpOnly cookie."},
    "api_key": {"id": "Kunci API", "en": "API key"},
    "logout": {"id": "Keluar", "en": "Log out"},
    "invalid_key": {"id": "Kunci API tidak valid atau sudah dicabut.", "en": "Invalid or revoked API key."},
    "forbidden": {"id": "Peran Anda tidak dapat membuka halaman ini.", "en": "Your role cannot open this page."},
    "leadership": {"id": "Pimpinan", "en": "Leadership"},
    "analyst": {"id": "Analis", "en": "Analyst"},
    "pr": {"id": "Humas", "en": "PR"},
    "workspace": {"id": "Ruang kerja", "en": "Workspace"},
    "role": {"id": "Peran", "en": "Role"},
    "sentiment_over_time": {"id": "Sentimen dari waktu ke waktu", "en": "Sentiment over time"},
    "share_of_voice": {"id": "Porsi percakapan", "en": "Share of voice"},
    "top_narratives": {"id": "Narasi teratas", "en": "Top narratives"},
    "hashtags_fallback": {"id": "Pengelompokan narasi belum tersedia; tagar teratas ditampilkan.",
                          "en": "Narrative clustering not available yet; top hashtags shown."},
    "hoax_trend": {"id": "Tren dugaan hoaks", "en": "Suspected hoax trend"},
    "digest": {"id": "Ringkasan harian", "en": "Daily digest"},
    "printable_digest": {"id": "Ringkasan siap cetak", "en": "Printable digest"},
    "print": {"id": "Cetak", "en": "Print"},
    "search": {"id": "Cari", "en": "Search"},
    "search_posts": {"id": "Pencarian unggahan", "en": "Post search"},
    "query": {"id": "Kata kunci", "en": "Keywords"},
    "campaign": {"id": "Kampanye", "en": "Campaign"},
    "all_campaigns": {"id": "Semua kampanye", "en": "All campaigns"},
    "platform": {"id": "Platform", "en": "Platform"},
    "language": {"id": "Bahasa", "en": "Language"},
    "sentiment": {"id": "Sentimen", "en": "Sentiment"},
    "hoax": {"id": "Hoaks", "en": "Hoax"},
    "since": {"id": "Sejak", "en": "Since"},
    "until": {"id": "Sampai", "en": "Until"},
    "any": {"id": "Semua", "en": "Any"},
    "yes": {"id": "Ya", "en": "Yes"},
    "no": {"id": "Tidak", "en": "No"},
    "positive": {"id": "Positif", "en": "Positive"},
    "neutral": {"id": "Netral", "en": "Neutral"},
    "negative": {"id": "Negatif", "en": "Negative"},
    "total": {"id": "Total", "en": "Total"},
    "posts": {"id": "Unggahan", "en": "Posts"},
    "results": {"id": "hasil", "en": "results"},
    "correct": {"id": "Koreksi", "en": "Correct"},
    "not_hoax": {"id": "Bukan hoaks", "en": "Not hoax"},
    "claim_confirm": {"id": "Klaim cocok", "en": "Claim matches"},
    "claim_reject": {"id": "Klaim tidak cocok", "en": "Wrong claim"},
    "correction_saved": {"id": "Koreksi disimpan", "en": "Correction saved"},
    "correction_failed": {"id": "Koreksi gagal", "en": "Correction failed"},
    "no_results": {"id": "Tidak ada unggahan yang cocok.", "en": "No matching posts."},
    "export_csv": {"id": "Ekspor CSV", "en": "Export CSV"},
    "export_ndjson": {"id": "Ekspor NDJSON", "en": "Export NDJSON"},
    "date": {"id": "Tanggal", "en": "Date"},
    "author": {"id": "Penulis", "en": "Author"},
    "text": {"id": "Teks", "en": "Text"},
    "prev": {"id": "Sebelumnya", "en": "Previous"},
    "next": {"id": "Berikutnya", "en": "Next"},
    "narratives": {"id": "Penjelajah narasi", "en": "Narrative explorer"},
    "narrative": {"id": "Narasi", "en": "Narrative"},
    "timeline": {"id": "Linimasa", "en": "Timeline"},
    "example_posts": {"id": "Contoh unggahan", "en": "Example posts"},
    "keywords": {"id": "Kata kunci", "en": "Keywords"},
    "size": {"id": "Jumlah unggahan", "en": "Posts"},
    "first_seen": {"id": "Pertama terlihat", "en": "First seen"},
    "last_seen": {"id": "Terakhir terlihat", "en": "Last seen"},
    "loading": {"id": "Memuat…", "en": "Loading…"},
    "unavailable": {"id": "Layanan ini belum tersedia.", "en": "This service is not available yet."},
    "alert_inbox": {"id": "Kotak masuk peringatan", "en": "Alert inbox"},
    "live": {"id": "Langsung", "en": "Live"},
    "connected": {"id": "terhubung", "en": "connected"},
    "reconnecting": {"id": "menyambung ulang…", "en": "reconnecting…"},
    "no_alerts": {"id": "Belum ada peringatan.", "en": "No alerts yet."},
    "ack": {"id": "Tandai diterima", "en": "Acknowledge"},
    "resolve": {"id": "Selesaikan", "en": "Resolve"},
    "alert_changed": {"id": "Peringatan ini sudah diubah di sesi lain; kartu menampilkan keadaan terkini,",
                      "en": "Someone else changed this alert meanwhile; the card now shows its current state,"},
    "alert_gone": {"id": "Peringatan ini tidak lagi tersedia.", "en": "This alert is no longer available."},
    "status": {"id": "Status", "en": "Status"},
    "severity": {"id": "Tingkat", "en": "Severity"},
    "brief": {"id": "Bahan kontra-narasi", "en": "Counter-narrative brief"},
    "why": {"id": "Alasan", "en": "Why"},
    "key_messages": {"id": "Pesan kunci", "en": "Key messages"},
    "debunks": {"id": "Klarifikasi / cek fakta", "en": "Debunks"},
    "answer_posts": {"id": "Unggahan yang perlu dijawab", "en": "Posts to answer"},
    "suggested_reply": {"id": "Usulan jawaban", "en": "Suggested reply"},
    "generated": {"id": "Dibuat", "en": "Generated"},
    "day": {"id": "Hari", "en": "Day"},
    "top_authors": {"id": "Akun paling aktif", "en": "Most active accounts"},
    "top_platforms": {"id": "Platform", "en": "Platforms"},
    "hoax_posts": {"id": "Unggahan dugaan hoaks", "en": "Suspected hoax posts"},
    "most_engaged": {"id": "Unggahan dengan interaksi tertinggi", "en": "Most engaged posts"},
    "previous_day": {"id": "Kemarin", "en": "Previous day"},
    "apply": {"id": "Terapkan", "en": "Apply"},
    "open": {"id": "Buka", "en": "Open"},
}


def pick_lang(query_lang: str | None, cookie_lang: str | None, accept: str | None = None) -> str:
    for cand in (query_lang, cookie_lang):
        if cand in LANGS:
            return cand
    if accept and accept.lower().startswith("en"):
        return "en"
    return DEFAULT


def translator(lang: str):
    def t(key: str) -> str:
        entry = STRINGS.get(key)
        return entry.get(lang, entry[DEFAULT]) if entry else key
    return t
