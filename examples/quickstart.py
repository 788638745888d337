"""Log a fake training run the way a wandb script would, then read it back.

python examples/quickstart.py
trackio list runs --project quickstart
"""

import math
import random

import trackio as wandb

config = {"learning_rate": 3e-4, "epochs": 5, "batch_size": 32}
run = wandb.init(project="quickstart", config=config)

steps_per_epoch = 50
for epoch in range(wandb.config.epochs):
    for batch in range(steps_per_epoch):
        step = epoch * steps_per_epoch + batch
        loss = 2.0 * math.exp(-step / 120) + random.uniform(0, 0.05)
        wandb.log({"train": {"loss": loss, "lr": wandb.config.learning_rate}, "epoch": epoch})
    wandb.log({"val/loss": loss * 1.1, "val/accuracy": 1 - loss / 2}, step=step)

wandb.finish()

stored = wandb.Api().runs("quickstart")[-1]
print(f"run {stored.name}: {len(stored.history())} steps, summary {stored.summary}")
