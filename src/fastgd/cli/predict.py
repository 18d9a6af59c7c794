"""fastgd predict: the digit in each 28x28 greyscale PNG."""

import sys

import numpy as np


def add_parser(commands):
    predict = commands.add_parser(
        "predict",
        help="classify 28x28 greyscale PNG images",
        description="Print the digit a saved network sees in each image. Images must be 28x28 "
        "greyscale PNGs with the digit light on a dark background, as in MNIST "
        "(colour is converted to grey; other sizes are refused). A file that "
        "cannot be read is reported and the others are classified; the exit "
        "status is then 2.",
    )
    predict.add_argument("model", help="a network saved with fastgd train --save")
    predict.add_argument("images", nargs="+", metavar="IMAGE", help="PNG files")

    return predict


def run(args):
    import fastgd

    from ..files.png import png_size, read_png

    net = fastgd.Network.load(args.model)
    if net.sizes[0] != 784:
        raise ValueError(
            f"{args.model} takes {net.sizes[0]} inputs, not the 784 pixels of a 28x28 image"
        )
    paths, images, failed = [], [], 0
    for path in args.images:
        # Each file on its own: a bad one is reported, and the others are still classified.
        try:
            width, height = png_size(path)
            if (width, height) != (28, 28):
                raise ValueError(
                    f"{path}: the image is {width}x{height}; the network reads "
                    f"28x28 greyscale images, the digit light on dark as in "
                    f"MNIST: resize it to 28x28 first"
                )
            image = read_png(path)
        except (ValueError, OSError) as exc:
            print(f"fastgd: error: {exc}", file=sys.stderr)
            failed += 1
            continue
        border = np.concatenate([image[0], image[-1], image[1:-1, 0], image[1:-1, -1]])
        if border.mean() > 127:
            print(
                f"fastgd: warning: {path}: its border is light; the network reads light "
                f"digits on a dark background, as in MNIST (invert the image if the digit "
                f"is dark)",
                file=sys.stderr,
            )
        paths.append(path)
        images.append(image.reshape(-1))
    if images:
        for path, digit in zip(paths, net.predict(np.array(images))):
            print(f"{path}: {digit}")
    return 2 if failed else 0
