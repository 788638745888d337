"""Real Hugging Face clients driving trackio. `pip install -e ".[dev]"` brings them (the
`[hf]` extra: a CPU torch 2.13.0, transformers, accelerate, TRL, datasets); elsewhere these
tests skip, saying what is missing, except in CI, where a missing client fails. Models and
tokenizers are built from configs in the child, which runs with the Hub offline and an empty
HF_HOME, so nothing is downloaded or read from a cache."""

import json
import os

import pytest

INSTALL_HINT = 'install the Hugging Face clients with `pip install -e ".[dev]"` (the [hf] extra)'


def require(*modules):
    for module in modules:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            __import__(module)  # CI installs [dev]: a missing client is a failure, not a skip
        else:
            pytest.importorskip(module, reason=f"{module} is not installed; {INSTALL_HINT}")


@pytest.fixture(autouse=True)
def hub_offline(child_env, tmp_path):
    child_env.update(
        HF_HUB_OFFLINE="1",
        HF_DATASETS_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        HF_HOME=str(tmp_path / "hf_home"),
    )


TRAINER_SCRIPT = """
import json, torch, trackio
from transformers import Trainer, TrainingArguments

class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 1)

    def forward(self, x, labels=None):
        out = self.lin(x).squeeze(-1)
        return {"loss": ((out - labels) ** 2).mean(), "logits": out}

data = [{"x": torch.randn(4), "labels": torch.randn(())} for _ in range(16)]
args = TrainingArguments(
    output_dir=OUT, report_to="trackio", project="hf-trainer", run_name="tiny",
    logging_steps=1, max_steps=6, per_device_train_batch_size=4, save_strategy="no",
    use_cpu=True, disable_tqdm=True,
)
trainer = Trainer(model=Tiny(), args=args, train_dataset=data, eval_dataset=data)
trainer.train()
trainer.evaluate()
print(json.dumps({"ok": True}))
"""

ACCELERATE_SCRIPT = """
import json
from accelerate import Accelerator

accelerator = Accelerator(log_with="trackio", cpu=True)
accelerator.init_trackers("hf-accelerate", config={"lr": 0.01, "layers": 2})
for step in range(5):
    accelerator.log({"loss": 1.0 / (step + 1)}, step=step)
accelerator.end_training()
print(json.dumps({"ok": True}))
"""

SFT_SCRIPT = """
import json
from huggingface_hub import constants
assert constants.HF_HUB_OFFLINE, "the child must run with the Hub offline"
from datasets import Dataset
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast
from trl import SFTConfig, SFTTrainer

words = "the cat dog sat on a mat log".split()
vocab = {w: i for i, w in enumerate(["<pad>", "<eos>", "<unk>", *words])}
backend = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
backend.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
tokenizer = PreTrainedTokenizerFast(
    tokenizer_object=backend, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>"
)
config = GPT2Config(
    vocab_size=len(vocab), n_positions=32, n_embd=16, n_layer=1, n_head=2,
    pad_token_id=0, bos_token_id=1, eos_token_id=1,
)
model = GPT2LMHeadModel(config)
texts = [f"the {a} sat on a {b}" for a in ("cat", "dog") for b in ("mat", "log")] * 4
args = SFTConfig(
    output_dir=OUT, report_to="trackio", project="hf-trl", run_name="sft-tiny",
    logging_steps=1, max_steps=4, per_device_train_batch_size=4, max_length=16,
    learning_rate=1e-3, save_strategy="steps", save_steps=4, use_cpu=True,
    disable_tqdm=True, seed=0,
)
trainer = SFTTrainer(
    model=model, args=args, processing_class=tokenizer,
    train_dataset=Dataset.from_dict({"text": texts}),
)
trainer.train()
logged = [e for e in trainer.state.log_history if "loss" in e]
print(json.dumps({
    "losses": [e["loss"] for e in logged],
    "num_tokens": [e["num_tokens"] for e in logged],
    "num_parameters": model.num_parameters(),
}))
"""


def test_transformers_trainer_report_to_trackio(run_child, tmp_path, read_run):
    require("torch", "transformers")
    result = run_child(f"OUT = {str(tmp_path / 'out')!r}\n" + TRAINER_SCRIPT, timeout=300)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {"ok": True}

    run = read_run("hf-trainer", "tiny")
    assert run.status == "finished"
    assert run.config["max_steps"] == 6
    assert "allow_val_change" not in run.config
    rows = run.history()
    train_steps = [r["train/global_step"] for r in rows if "train/loss" in r]
    assert train_steps == [1, 2, 3, 4, 5, 6]
    assert any("eval/loss" in r for r in rows)
    assert [r["step"] for r in rows] == list(range(len(rows)))


def test_accelerate_log_with_trackio(run_child, read_run):
    require("accelerate")
    result = run_child(ACCELERATE_SCRIPT, timeout=300)
    assert result.returncode == 0, result.stderr

    run = read_run("hf-accelerate")
    assert run.status == "finished"
    assert run.config == {"lr": 0.01, "layers": 2}
    assert [(r["step"], r["loss"]) for r in run.history()] == [(s, 1.0 / (s + 1)) for s in range(5)]


def test_trl_sft_trainer_report_to_trackio(run_child, tmp_path, read_run):
    require("torch", "transformers", "tokenizers", "datasets", "trl")
    out = tmp_path / "out"
    result = run_child(f"OUT = {str(out)!r}\n" + SFT_SCRIPT, timeout=300)
    assert result.returncode == 0, result.stderr
    child = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(child["losses"]) == 4

    run = read_run("hf-trl", "sft-tiny")
    assert run.status == "finished"
    # TrainingArguments/SFTConfig and the model's config, as TrackioCallback saves them.
    assert run.config["max_steps"] == 4
    assert run.config["max_length"] == 16
    assert run.config["n_embd"] == 16
    assert run.config["report_to"] == ["trackio"]
    assert run.config["model/num_parameters"] == child["num_parameters"]
    assert "allow_val_change" not in run.config

    rows = run.history()
    assert [r["step"] for r in rows] == list(range(len(rows)))
    train = [r for r in rows if "train/loss" in r]
    assert [r["train/global_step"] for r in train] == [1, 2, 3, 4]
    # The very floats the trainer logged, one row per logging step.
    assert [r["train/loss"] for r in train] == child["losses"]
    assert [r["train/num_tokens"] for r in train] == child["num_tokens"]
    assert all("train/mean_token_accuracy" in r and "train/learning_rate" in r for r in train)
    assert run.summary["train/loss"] == child["losses"][-1]
    # The checkpoint save wrote TRL's model card, which reads trackio's current run.
    assert (out / "checkpoint-4" / "model.safetensors").exists()
    assert (out / "README.md").exists()
