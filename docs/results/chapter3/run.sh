#!/usr/bin/env bash
# The runs of "Chapter 3 in numbers" (docs/chapter3.md): each a `fastgd sweep` whose results file
# lies beside this script. Run again, a sweep skips the runs its file holds; delete a file to
# train its runs afresh. 50,000 training images and 10,000 of validation (the book's split), the
# test set's 10,000 for the figures the book gives on it; three seeds each; one worker.
set -euo pipefail
cd "$(dirname "$0")"
sweep() { python -m fastgd sweep --seeds 3 --workers "${WORKERS:-1}" --verbose 0 "$@"; }

# Cross-entropy, eta=0.5, 30 epochs, N(0,1) weights: [784,30,10] and [784,100,10], without and
# with L2 regularisation (lmbda=5.0).
sweep --sizes 784,30,10 784,100,10 --cost cross_entropy --eta 0.5 --lmbda 0 5 --epochs 30 \
    --validation-size 10000 --out ce-eta0.5-30epochs.jsonl
# Overfitting: the first 1,000 training images, 400 epochs, without and with lmbda=0.1.
sweep --sizes 784,30,10 --cost cross_entropy --eta 0.5 --lmbda 0 0.1 --epochs 400 \
    --train-size 1000 --validation-size 10000 --out overfitting-1000-images.jsonl
# [784,100,10], lmbda=5.0, eta=0.1, 60 epochs.
sweep --sizes 784,100,10 --cost cross_entropy --eta 0.1 --lmbda 5 --epochs 60 \
    --validation-size 10000 --out ce-100-eta0.1-60epochs.jsonl
# Weight initialisation: N(0,1) against N(0,1/n_in), lmbda=5.0, eta=0.1, 30 epochs.
sweep --sizes 784,30,10 784,100,10 --cost cross_entropy --eta 0.1 --lmbda 5 --epochs 30 \
    --init normal scaled --validation-size 10000 --out init-30epochs.jsonl
# Chapter 6's fully connected network: sigmoid hidden layer, softmax output (log-likelihood),
# eta=0.1, 60 epochs. Its network3.py draws the hidden layer's weights from N(0, 1/n_out): small
# weights, which scaled initial weights (N(0, 1/n_in)) are here.
sweep --sizes 784,100,10 --cost log_likelihood --eta 0.1 --epochs 60 --init scaled \
    --validation-size 10000 --out softmax-100-60epochs.jsonl
