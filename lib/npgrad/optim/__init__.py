"""Optimizers: update parameters in place from their .grad, as torch.optim does.

`npgrad.optim.lr_scheduler` changes their learning rate over training, as
`torch.optim.lr_scheduler` does.
"""

from npgrad.optim import lr_scheduler
from npgrad.optim.adam import Adam
from npgrad.optim.adamw import AdamW
from npgrad.optim.optimizer import Optimizer
from npgrad.optim.rmsprop import RMSprop
from npgrad.optim.sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
