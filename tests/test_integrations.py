"""Real Hugging Face clients driving trackio; skipped where they are not installed."""

import json

import pytest

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


def test_transformers_trainer_report_to_trackio(run_child, tmp_path, read_run):
    pytest.importorskip("transformers")
    pytest.importorskip("torch")
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
    pytest.importorskip("accelerate")
    result = run_child(ACCELERATE_SCRIPT, timeout=300)
    assert result.returncode == 0, result.stderr

    run = read_run("hf-accelerate")
    assert run.status == "finished"
    assert run.config == {"lr": 0.01, "layers": 2}
    assert [(r["step"], r["loss"]) for r in run.history()] == [(s, 1.0 / (s + 1)) for s in range(5)]
