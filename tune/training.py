"""Fine-tune a sentence-transformers model on training pairs, on CPU.

The loss is MultipleNegativesRankingLoss (Henderson et al. 2017; the in-batch softmax
used by DPR and most embedding models since): for each question, its passage must score
above every other passage in the batch and above its own mined hard negative. Batches
never hold the same text twice (sentence-transformers' NO_DUPLICATES sampler), so a
passage relevant to two questions is never used as a negative for one of them.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tune.pairs import TrainingPair

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

log = logging.getLogger(__name__)

StepCallback = Callable[[int, int], None]  # (steps done, steps in total)


@dataclass(frozen=True)
class TrainingOptions:
    epochs: int = 1
    batch_size: int = 32
    learning_rate: float = 3e-5
    warmup_ratio: float = 0.1
    max_seq_length: int = 256
    seed: int = 42

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 2:
            raise ValueError("epochs must be at least 1 and the batch size at least 2 (in-batch negatives)")
        if not 0 < self.learning_rate < 1 or not 0 <= self.warmup_ratio < 1:
            raise ValueError("the learning rate must be in (0, 1) and the warm-up ratio in [0, 1)")
        if self.max_seq_length < 16:
            raise ValueError("max_seq_length must be at least 16 tokens")

    def as_dict(self) -> dict:
        return asdict(self)

    def steps(self, pairs: int) -> int:
        return self.epochs * -(-pairs // self.batch_size)


def load_model(folder: Path) -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer  # heavy: import only when tuning

    return SentenceTransformer(str(folder), device="cpu")


def _columns(pairs: Sequence[TrainingPair], seed: int) -> dict[str, list[str]]:
    """anchor / positive / negative columns; a pair without a mined negative borrows another pair's passage."""
    rng = random.Random(seed)
    positives = [p.positive for p in pairs]
    negatives = []
    for pair in pairs:
        negative = pair.negative
        while not negative and len(set(positives)) > 1:
            candidate = rng.choice(positives)
            negative = candidate if candidate != pair.positive else ""
        negatives.append(negative or pair.positive)
    return {"anchor": [p.query for p in pairs], "positive": positives, "negative": negatives}


def estimate_seconds(model: SentenceTransformer, pairs: Sequence[TrainingPair], options: TrainingOptions) -> float:
    """Time one real optimisation step (forward and backward on a full batch) and scale it to the run."""
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    columns = _columns(pairs[: options.batch_size], options.seed)
    loss = MultipleNegativesRankingLoss(model)
    seconds = 0.0
    with _training_length(model, options):
        for _ in range(2):  # the first step pays one-off costs; the second is what the run repeats
            started = time.perf_counter()
            features = [model.preprocess(texts) for texts in columns.values()]
            loss(features, torch.empty(0)).backward()
            seconds = time.perf_counter() - started
            model.zero_grad(set_to_none=True)
    return seconds * options.steps(len(pairs))


@contextmanager
def _training_length(model: SentenceTransformer, options: TrainingOptions) -> Iterator[None]:
    """Truncate at `options.max_seq_length` while training; the model keeps its own limit for encoding."""
    encode_limit = model.max_seq_length
    model.max_seq_length = min(options.max_seq_length, encode_limit or options.max_seq_length)
    model.train()
    try:
        yield
    finally:
        model.max_seq_length = encode_limit
        model.eval()


def fine_tune(
    model: SentenceTransformer,
    pairs: Sequence[TrainingPair],
    options: TrainingOptions,
    work_dir: Path,
    on_step: StepCallback | None = None,
) -> list[float]:
    """Train `model` in place; returns the logged training losses (one per 10 steps)."""
    from datasets import Dataset as HFDataset
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
    from sentence_transformers.sentence_transformer.trainer import SentenceTransformerTrainer
    from sentence_transformers.sentence_transformer.training_args import (
        BatchSamplers,
        SentenceTransformerTrainingArguments,
    )
    from transformers import PrinterCallback, TrainerCallback

    if len(pairs) < 2:
        raise ValueError("tuning needs at least 2 training pairs")
    losses: list[float] = []

    class Progress(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if on_step is not None:
                on_step(state.global_step, state.max_steps)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if logs and "loss" in logs:
                losses.append(float(logs["loss"]))

    args = SentenceTransformerTrainingArguments(
        output_dir=str(work_dir),
        num_train_epochs=options.epochs,
        per_device_train_batch_size=options.batch_size,
        learning_rate=options.learning_rate,
        warmup_steps=options.warmup_ratio,
        seed=options.seed,
        batch_sampler=BatchSamplers.NO_DUPLICATES,
        use_cpu=True,
        save_strategy="no",
        logging_steps=10,
        report_to="none",
        disable_tqdm=True,
        dataloader_num_workers=0,
    )
    trainer = SentenceTransformerTrainer(
        model=model,
        args=args,
        train_dataset=HFDataset.from_dict(_columns(pairs, options.seed)),
        loss=MultipleNegativesRankingLoss(model),
        callbacks=[Progress()],
    )
    trainer.remove_callback(PrinterCallback)  # progress goes to on_step, not to stdout
    with _training_length(model, options):
        trainer.train()
    return losses
