"""Data and files: MNIST and other IDX data sets (mnist), saved networks (networks), .npz files
read member by member without pickle (npz), PNG images (png), and files written whole or not at
all, only over regular files (writing). Whatever is read may come from anywhere: every size is
checked against what the file and the machine can hold before anything of that size is
allocated."""
