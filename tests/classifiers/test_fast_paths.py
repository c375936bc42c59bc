"""The classify chain's fast paths must give what their plain references give, on real texts (a few thousand posts
from shared/data, social sentiment sets and circulated hoaxes): the batch featurisation (token tables, numpy
gathers), the blocks' shared term counts, the claim scorer's pair cosines and the style cues' literal guards are
shortcuts, never a change of output. Speed itself is measured in bench/bench_classify.py, not here."""
import math

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from classifiers import DEFAULT_MODEL_DIR
from classifiers.data import factcheck_posts, sentiment_split
from classifiers.features import TermSpace, char_wb_ngrams
from classifiers.linear import LinearTextModel
from classifiers.normalise import mark_negation, negation_extra, normalise_many


@pytest.fixture(scope="module")
def texts(data_dir):
    out = [t for ds in ("smsa", "indolem") for t in sentiment_split(data_dir, ds, "test").texts][:1000]
    out += factcheck_posts(data_dir).text.sample(n=500, random_state=3).tolist()
    return out + ["", "a", "tidak", "tidak tidak bukan jangan", "SEBARKAN!!! sebelum dihapus 🚨 https://x.id/a",
                  "cek WWW.Contoh.co.id sekarang", "kunjungi bit.ly/abc ya", "rumah nya bagus dia pun datang makan lah",
                  "mantappp bgt :) 👍 #JanganPercayaHoax @user", "kata-kata anak2 gak tau yg mana"]


def reference_ids(space: TermSpace, norm: str) -> tuple[list[int], list[int]]:
    """(base, negation) ids of one text as the per-token loop computed them: unigrams, bigrams, char n-grams."""
    def ids(toks, pairs):
        out = [space.word[t] for t in toks if t in space.word]
        out += [space.word[p] for p in pairs if p in space.word]
        if space.char_range:
            out += [space.char[g] for t in toks for g in char_wb_ngrams(t, *space.char_range) if g in space.char]
        return out
    toks = norm.split()
    extra = negation_extra(toks)
    seq = toks[-1:] + extra
    neg = ids(extra, [f"{a} {b}" for a, b in zip(seq, seq[1:])] if extra else [])
    return ids(toks, [f"{a} {b}" for a, b in zip(toks, toks[1:])]), neg


def reference_transform(block, feats, negation: bool) -> sp.csr_matrix:
    """A block's TF-IDF matrix from every term occurrence, duplicates summed by the COO -> CSR conversion."""
    rows, gids = feats.ids(negation)
    cols = block._map()[gids]
    keep = cols >= 0
    X = sp.csr_matrix((np.ones(int(keep.sum())), (rows[keep], cols[keep])), shape=(feats.n_docs, block.n_features))
    if block.sublinear:
        X.data = np.log(X.data) + 1.0
    if block.idf is not None:
        X = X @ sp.diags(block.idf)
    return normalize(X) if block.norm == "l2" else X


def test_featurise_equals_the_per_token_reference_and_the_pipelines(texts):
    norms = normalise_many(texts)
    space = TermSpace()
    models = {n: LinearTextModel.load(DEFAULT_MODEL_DIR, n) for n in ("sentiment_id", "sentiment_en")}
    heads = {n: m.fast_head(space) for n, m in models.items()}
    half = len(norms) // 2
    feats = [space.featurise(norms[:half]), space.featurise(norms[half:])]  # the second batch reuses the tables
    for part, f in zip((norms[:half], norms[half:]), feats):
        for i, norm in enumerate(part):
            base, neg = reference_ids(space, norm)
            assert f.base[f.base_ptr[i]:f.base_ptr[i + 1]].tolist() == base, norm
            assert f.neg[f.neg_ptr[i]:f.neg_ptr[i + 1]].tolist() == neg, norm
            assert f.nneg[i] == len(negation_extra(norm.split()))
    for name, m in models.items():
        for negation in (True, False):  # the sentiment heads read the negation marks, the claim index does not
            mats = []
            for b in heads[name].blocks:
                got = b.transform(feats[1], negation)
                want = reference_transform(b, feats[1], negation) if hasattr(b, "kind") else got
                assert got.shape == want.shape and abs(got - want).max() < 1e-12, (name, negation)
                mats.append(want)
            ref = heads[name].intercept + sum(X @ cT for X, cT in zip(mats, heads[name]._coefT))
            assert np.allclose(heads[name].decision(feats[1], negation), ref, rtol=0, atol=1e-9)
    prepared = [mark_negation(t) for t in norms[:200]]  # and the scikit-learn pipelines (float32 vectorizers)
    for name, m in models.items():
        want = m.clf.decision_function(m.features.transform(prepared))
        got = heads[name].decision(space.featurise(norms[:200]))
        assert np.allclose(got.reshape(want.shape), want, rtol=0, atol=1e-5), name
    idx = [5, 0, 17, half - 1]
    sub = feats[0].subset(idx)
    assert np.allclose(heads["sentiment_id"].decision(sub), heads["sentiment_id"].decision(feats[0])[idx], atol=1e-12)


def test_claim_pair_cosines_equal_the_full_product(texts):
    from classifiers.claims import ClaimIndex, load_seed, seed_scorer

    index = ClaimIndex.from_claims(load_seed()["claims"][:2000], seed_scorer())
    norms = normalise_many(texts[-500:])
    r, c, X = index.pair_features(norms)
    assert len(r) > 500  # the comparison covers many pairs
    feats = index._space.featurise(norms, negation=False)
    posts_x = index._stack([b.transform(feats, negation=False) for b in index._blocks])
    full = (posts_x @ index._matrix.T).toarray()
    assert np.allclose(X[:, 0], full[r, c], rtol=0, atol=1e-12)
    # best segment cosine: the max of the whole claim's and each of its segments' cosines
    seg = (posts_x @ index._seg_matrix.T).toarray()
    ptr = index._seg_ptr
    ref = [max([full[i, j], *seg[i, ptr[j]:ptr[j + 1]]]) for i, j in zip(r, c)]
    assert (ptr[c + 1] > ptr[c]).sum() > 100 and np.allclose(X[:, 7], ref, rtol=0, atol=1e-12)
    # matching prunes the segment cosines of pairs that cannot reach the threshold: same pairs over it, same decisions
    rp, cp, Xp = index.pair_features(norms, prune=True)
    d, dp, th = index.scorer.decision(X), index.scorer.decision(Xp), index.scorer.threshold
    assert (rp == r).all() and (cp == c).all() and ((d >= th) == (dp >= th)).all() and (d >= th).sum() > 10
    assert np.allclose(d[d >= th], dp[d >= th], rtol=0, atol=1e-12) and (Xp[:, 7] != X[:, 7]).sum() > 100


def reference_normalise(text: str, lang: str) -> str:
    """``normalise`` without its caches and substring guards: every regex runs, token by token."""
    import unicodedata

    from classifiers import normalise as n
    from classifiers.nlp import tokens

    text = unicodedata.normalize("NFKC", text)
    text = n.URL_RE.sub(" urltoken ", text)
    text = n.MENTION_RE.sub(" usertoken ", text)
    text = n.HASHTAG_RE.sub(lambda m: " " + n.CAMEL_RE.sub(" ", m.group(1)) + " ", text).lower()
    for emo, word in n.EMOTICONS.items():
        text = text.replace(emo, word)
    text = n.EMOJI_RE.sub(lambda m: " emopos " if m.group() in n.EMOJI_POS else " emoneg ", text)
    text = n.CLITIC_RE.sub(r"\1\2", n.ELONG_RE.sub(r"\1\1", text))
    return " ".join(n.normalise_token(t, n.slang_table()) for t in tokens(text, lang))


def test_normalise_equals_the_uncached_reference(texts):
    from classifiers.normalise import normalise

    for lang in ("id", "en"):
        assert [normalise(t, lang) for t in texts] == [reference_normalise(t, lang) for t in texts], lang


def reference_style(texts: list[str]) -> np.ndarray:
    from classifiers import style as s

    rows = []
    for raw in texts:
        t = str(raw or "")
        low = t.lower()
        n_words = len(s._WORD.findall(t))
        rows.append([1.0 if rx.search(low) else 0.0 for _, rx in s._CUE_RES] + [
            len(s._UPPER_WORD.findall(t)) / n_words if n_words >= 3 else 0.0, math.log1p(len(s._SHOUT.findall(t))),
            math.log1p(len(s._ALARM_EMOJI.findall(t))), math.log1p(max(0, t.count("\n") - 2)),
            1.0 if s._URL.search(t) else 0.0])
    return np.array(rows, dtype=np.float32)


def test_style_guards_change_no_feature(texts):
    from classifiers.style import literal_factors, style_features

    got = style_features(texts)
    assert np.array_equal(got, reference_style(texts))
    assert (got[:, :10] > 0).sum() > 300 and (got[:, 10] > 0).sum() > 50  # many cue and all-caps hits compared
    assert literal_factors(r"\b(sebar(?:kan)?|viral)\b") == {"sebar", "viral"}
    assert literal_factors(r"(sebelum (?:di ?hapus)|rahasia)") == {"sebelum di", "rahasia"}
    assert literal_factors(r"(?i)hoaks") is None and literal_factors(r"a?|b") is None
