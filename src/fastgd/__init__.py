"""fastgd: the sigmoid network of 'learning with gradient descent', at native speed."""
from . import _reference as reference
from . import callbacks
from .datasets import load_book_pickle, load_idx, load_mnist
from .network import Network
from .trainer import History, Trainer

__version__ = "0.1.0"
__all__ = ["Network", "Trainer", "History", "load_mnist", "load_idx", "load_book_pickle",
           "reference", "callbacks"]
